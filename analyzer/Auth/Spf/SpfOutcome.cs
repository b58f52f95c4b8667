using System.Net;

namespace DmarcAnalyzer.Auth.Spf;

/// <summary>The identity SPF checked (RFC 7208 §2.3, §2.4; RFC 8601 §2.7.2 smtp.mailfrom or smtp.helo).</summary>
internal enum SpfIdentity
{
    MailFrom,
    Helo,
}

/// <summary>
/// The SPF check's outcome for a message (RFC 7208): the result, the domain it was for, which identity that was,
/// the identity as given (a MAIL FROM address or HELO name), and a comment for the Authentication-Results header
/// (why SPF was not checked, say).
/// </summary>
internal sealed record SpfOutcome(SpfResultCode Result, string Domain, SpfIdentity Scope = SpfIdentity.MailFrom, string? Identity = null,
    string? Comment = null)
{
    /// <summary>SPF was not evaluated: none (RFC 8601 §2.7.2), saying why.</summary>
    public static SpfOutcome NotChecked(string why, SpfIdentity scope = SpfIdentity.MailFrom) =>
        new(SpfResultCode.None, "", scope, Comment: $"not checked: {why}");

    /// <summary>
    /// The outcome of check_host() for the identity that was checked (RFC 7208 §2.4): the MAIL FROM address, or the
    /// HELO name (§2.3) for the null sender.
    /// </summary>
    public static SpfOutcome Of(SpfResult result, IPAddress client, string mailFrom, string helo)
    {
        var comment = result.Mechanism is { } mechanism ? $"{client} matched {mechanism}" : result.Reason;
        return mailFrom.Length == 0
            ? new SpfOutcome(result.Code, helo, SpfIdentity.Helo, helo, comment)
            : new SpfOutcome(result.Code, mailFrom[(mailFrom.LastIndexOf('@') + 1)..], SpfIdentity.MailFrom, mailFrom, comment);
    }
}
