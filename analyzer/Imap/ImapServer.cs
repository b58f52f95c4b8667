using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace DmarcAnalyzer.Imap;

/// <summary>How the connection is secured: TLS from the first byte (port 993), STARTTLS (port 143), or not at all.</summary>
internal enum ImapTls { Implicit, StartTls, None }

/// <summary>
/// Where the IMAP server is and how to trust it. With <see cref="TrustedCertificates"/> the server's chain must
/// end in one of them (a private CA) instead of the system's roots; the host name is checked either way.
/// </summary>
internal sealed record ImapServer(string Host, int Port, ImapTls Tls, X509Certificate2Collection? TrustedCertificates = null)
{
    /// <summary>
    /// Plain text is only allowed to a loopback address, where no network sees the password.
    /// </summary>
    public bool IsLoopback =>
        Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    public override string ToString() => $"{Host}:{Port} ({Tls})";
}
