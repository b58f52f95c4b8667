using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Imap;

/// <summary>
/// MailKit's <see cref="ImapClient"/> with the trust the poller asks for: with <see cref="ImapServer.TrustedCertificates"/>
/// the server's chain must end in one of them (a private CA) instead of the system's roots; the host name is checked
/// either way. MailKit offers no setting for a custom root store, only this override.
/// </summary>
internal sealed class MailboxClient : ImapClient
{
    private readonly X509Certificate2Collection? trusted;

    private MailboxClient(X509Certificate2Collection? trusted)
    {
        this.trusted = trusted;
    }

    protected override SslClientAuthenticationOptions GetSslClientAuthenticationOptions(string host, RemoteCertificateValidationCallback remoteCertificateValidationCallback)
    {
        var options = base.GetSslClientAuthenticationOptions(host, remoteCertificateValidationCallback);
        if (trusted is not { Count: > 0 })
            return options;
        // A private CA publishes no revocation lists, as the system's roots do.
        options.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;
        options.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        options.CertificateChainPolicy.CustomTrustStore.AddRange(trusted);
        return options;
    }

    /// <summary>
    /// Connects (implicit TLS, STARTTLS or plain text), and logs in: a password with the best SASL mechanism both sides
    /// have (MailKit's choice: PLAIN, LOGIN, then the LOGIN command), an access token with OAUTHBEARER (RFC 7628) or
    /// else XOAUTH2, whichever the server offers.
    /// </summary>
    public static async Task<MailboxClient> ConnectAsync(RuaMailbox mailbox, ImapLimits limits, ILogger log, CancellationToken ct)
    {
        var server = mailbox.Server;
        var client = new MailboxClient(server.TrustedCertificates)
        {
            Timeout = (int)limits.Timeout.TotalMilliseconds,
        };
        try
        {
            var security = server.Tls switch
            {
                ImapTls.Implicit => SecureSocketOptions.SslOnConnect,
                ImapTls.StartTls => SecureSocketOptions.StartTls,
                _ => SecureSocketOptions.None,
            };
            await client.ConnectAsync(server.Host, server.Port, security, ct);
            switch (mailbox.Credentials)
            {
                case PasswordCredentials password:
                    await client.AuthenticateAsync(mailbox.User, password.Password, ct);
                    break;
                case OAuth2Credentials oauth:
                    var token = await oauth.Token.GetAsync(ct);
                    SaslMechanism mechanism = client.AuthenticationMechanisms.Contains("OAUTHBEARER") ? new SaslMechanismOAuthBearer(mailbox.User, token)
                        : client.AuthenticationMechanisms.Contains("XOAUTH2") ? new SaslMechanismOAuth2(mailbox.User, token)
                        : throw new AuthenticationException($"{server} offers neither OAUTHBEARER nor XOAUTH2");
                    await client.AuthenticateAsync(mechanism, ct);
                    log.LogDebug("{Mailbox}: logged in with {Mechanism}", mailbox, mechanism.MechanismName);
                    break;
                default:
                    throw new InvalidOperationException(mailbox.Credentials.GetType().Name);
            }
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
