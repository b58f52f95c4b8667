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

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
