using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>Tallies the stored SMTP TLS reports of a period per policy domain; sessions count on the UTC day their report begins.</summary>
internal static class TlsAnalyzer
{
    /// <summary>Failing MX hosts and sending IPs listed per domain, most failed sessions first.</summary>
    public const int TopListed = 20;

    public const string NoDomain = TlsReportQueries.NoDomain;

    public static async Task<TlsAnalysis?> AnalyzeAsync(ITlsReportQueries db, ReportPeriod period, string? domain, CancellationToken ct)
    {
        var policies = await db.PoliciesAsync(period.FromUtc, period.ToUtcExclusive, domain, ct);
        if (policies.Count == 0)
            return null;
        var details = (await db.FailureDetailsAsync(period.FromUtc, period.ToUtcExclusive, domain, ct)).ToLookup(d => d.Policy);
        var reporters = ReporterIdentities.Of(await db.ReportersAsync(period.FromUtc, period.ToUtcExclusive, domain, ct));
        var domains = policies
            .GroupBy(p => p.PolicyDomain ?? NoDomain, StringComparer.Ordinal)
            .Select(g => Domain(g.Key, g.ToList(), g.SelectMany(p => details[p.Policy]).ToList()) with
            {
                Reporters = reporters.GetValueOrDefault(g.Key) ?? [],
            })
            .OrderByDescending(d => d.Total.Total).ThenBy(d => d.Domain, StringComparer.Ordinal)
            .ToList();
        return new TlsAnalysis(domains);
    }

    private static TlsDomainAnalysis Domain(string name, List<TlsPolicyRow> policies, List<TlsDetailRow> details)
    {
        var days = policies
            .GroupBy(p => ReportPeriod.DayFromUnixDay(Math.DivRem(p.BeginUtc, 86400, out var rem) - (rem < 0 ? 1 : 0)))
            .Select(g => new TlsDay(g.Key, Sum(g)))
            .OrderBy(d => d.Day)
            .ToList();
        var weeks = days.GroupBy(d => IsoWeek.Of(d.Day)).Select(g => new TlsWeek(g.Key, g.Aggregate(new TlsSessions(0, 0), (s, d) => s + d.Sessions)))
            .OrderBy(w => w.Week).ToList();
        return new TlsDomainAnalysis(
            name,
            Sum(policies),
            ReportCount.Sum(policies.Where(p => p.PolicyType == "no-policy-found"), p => ReportCount.Add(p.SuccessfulSessions, p.FailedSessions)),
            Counts(policies.Select(p => (p.PolicyType, ReportCount.Add(p.SuccessfulSessions, p.FailedSessions)))),
            days,
            weeks,
            Counts(details.Select(d => (d.ResultType, d.FailedSessions))),
            Counts(details.Where(d => d.ReceivingMxHostname is not null).Select(d => (d.ReceivingMxHostname!, d.FailedSessions))).Take(TopListed).ToList(),
            Counts(details.Where(d => d.SendingMtaIp is not null).Select(d => (d.SendingMtaIp!, d.FailedSessions))).Take(TopListed).ToList());
    }

    private static TlsSessions Sum(IEnumerable<TlsPolicyRow> policies) =>
        policies.Aggregate(new TlsSessions(0, 0), (s, p) => s + new TlsSessions(p.SuccessfulSessions, p.FailedSessions));

    private static IReadOnlyList<NamedCount> Counts(IEnumerable<(string Name, long Count)> items) =>
        items.GroupBy(i => i.Name, StringComparer.Ordinal)
            .Select(g => new NamedCount(g.Key, ReportCount.Sum(g, i => i.Count)))
            .OrderByDescending(c => c.Count).ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
}
