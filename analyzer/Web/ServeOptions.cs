using System.Net;
using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Web;

/// <summary>
/// What <c>dmarc serve</c> runs with: where it listens, the store, the known senders, and the <c>Serve</c> section of
/// the configuration (<see cref="AllowAnonymousRead"/>, the reverse proxies it trusts).
/// </summary>
internal sealed record ServeOptions(string Listen, string Database, KnownSenders KnownSenders)
{
    /// <summary>Pages readable without signing in (<c>Serve:AllowAnonymousRead</c>); acting still needs a user.</summary>
    public bool AllowAnonymousRead { get; init; }

    /// <summary>
    /// Reverse proxies whose <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c> are believed
    /// (<c>Serve:KnownProxies</c>); from any other peer those headers are ignored.
    /// </summary>
    public IReadOnlyList<IPAddress> KnownProxies { get; init; } = [];

    /// <summary>
    /// The header in which a known proxy names the user it has authenticated (<c>Serve:ProxyUserHeader</c>, e.g.
    /// <c>X-Remote-User</c>); the user must exist in the store, which gives the role.
    /// </summary>
    public string? ProxyUserHeader { get; init; }

    /// <summary>Where the keys that protect the sign-in cookies are kept (default: dmarc-keys beside the database).</summary>
    public string? KeysFolder { get; init; }

    /// <summary>Failure reports' addresses and subjects shown whole (<c>Analysis:ShowFailureReportDetails</c>); masked otherwise.</summary>
    public bool ShowFailureReportDetails { get; init; }

    /// <summary>Checks the domain page's published records live; null when the server runs without DNS (<c>Serve:CheckRecords</c> false).</summary>
    public PublishedRecords? Records { get; init; }

    /// <summary>
    /// The sign-in cookie always marked Secure (<c>Serve:SecureCookies</c>), for a TLS proxy that cannot send
    /// <c>X-Forwarded-Proto</c>; otherwise it is Secure when the request came over HTTPS, directly or as a listed
    /// proxy says.
    /// </summary>
    public bool SecureCookies { get; init; }

    /// <summary>How many sign-ins may check a password (PBKDF2) at once: half the cores, so sign-ins cannot take them all.</summary>
    public int PasswordChecksAtOnce { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>How many more may wait for their turn; sign-ins beyond these are answered 503 at once.</summary>
    public int PasswordChecksQueued { get; init; } = 16;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Whether <paramref name="peer"/> is one of <see cref="KnownProxies"/> (an IPv4 proxy may reach a dual-stack socket as ::ffff:a.b.c.d).</summary>
    public bool IsKnownProxy(IPAddress peer)
    {
        if (peer.IsIPv4MappedToIPv6)
            peer = peer.MapToIPv4();
        return KnownProxies.Any(p => p.Equals(peer));
    }
}
