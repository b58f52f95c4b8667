using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// Which reports ingest stores rather than keeping them as failures (red-team F9). <see cref="RequireVerifiedReports"/>
/// (<c>Analysis:RequireVerifiedReports</c>): a report that came by mail must be DKIM-signed by its sender's domain; a
/// bare file is accepted, the administrator put it there. <see cref="Domains"/> (<c>Analysis:Domains</c>): when any,
/// a report must be for one of them or a name under one. <see cref="Resolver"/> answers for the DKIM keys; without one,
/// signed mail is "DNS unavailable". <see cref="HealthProbe"/> (<c>Dns:HealthProbe</c>): the name whose A record is
/// asked when a key lookup fails, to tell DNS down from one sender's lame zone (<see cref="BatchDns"/>).
/// </summary>
internal sealed record ReportAcceptance(bool RequireVerifiedReports, IReadOnlyList<string> Domains, IDnsResolver? Resolver)
{
    public static readonly ReportAcceptance Default = new(false, [], null);

    /// <summary>A name of the root zone's own servers: no reporter controls it, and every resolver can answer it.</summary>
    public const string DefaultHealthProbe = "a.root-servers.net";

    public string HealthProbe { get; init; } = DefaultHealthProbe;

    /// <summary>Whether <paramref name="domain"/> is one of <see cref="Domains"/> or under one; every domain is when none is set.</summary>
    public bool Covers(string? domain)
    {
        if (Domains.Count == 0)
            return true;
        if (domain is null || AuthorDomains.Normalize(domain) is not { } name)
            return false;
        return Domains.Any(d => AuthorDomains.Normalize(d) is { } own
                                && (name == own || name.EndsWith("." + own, StringComparison.Ordinal)));
    }
}
