namespace DmarcAnalyzer.Imap;

/// <summary>How the poller logs in to a mailbox.</summary>
internal abstract record MailboxCredentials;

/// <summary>A password (read from a file or the environment, never the command line), sent with SASL PLAIN or LOGIN.</summary>
internal sealed record PasswordCredentials(string Password) : MailboxCredentials
{
    /// <summary>Never print the password, even by accident.</summary>
    public override string ToString() => "password";
}

/// <summary>An OAuth 2.0 access token (XOAUTH2 or OAUTHBEARER, RFC 7628), fetched anew for every connection.</summary>
internal sealed record OAuth2Credentials(AccessTokenSource Token) : MailboxCredentials
{
    public override string ToString() => $"oauth2 ({Token})";
}
