using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>Tallies the stored DMARC failure reports of a period: by day of arrival, by source, by failed mechanism.</summary>
internal static class FailureReportAnalyzer
{
    public const int LatestShown = 20;

    public const int TopListed = 20;

    public static async Task<FailureReportAnalysis?> AnalyzeAsync(IFailureReportQueries db, ReportPeriod period, string? domain, bool showDetails, CancellationToken ct)
    {
        var days = new SortedDictionary<DateOnly, long>();
        var sources = new Dictionary<string, long>(StringComparer.Ordinal);
        var failures = new Dictionary<string, long>(StringComparer.Ordinal);
        var reporters = new Dictionary<(string Reporter, string? Auth, string? AuthDomains), long>();
        var latest = new Queue<FailureReportRow>();
        long total = 0;
        await foreach (var row in db.ReadAsync(period.FromUtc, period.ToUtcExclusive, domain, ct))
        {
            total++;
            var seconds = row.Arrival.ToUnixTimeSeconds();
            var day = ReportPeriod.DayFromUnixDay(Math.DivRem(seconds, 86400, out var rem) - (rem < 0 ? 1 : 0));
            days[day] = days.GetValueOrDefault(day) + 1;
            Increment(sources, row.SourceIp ?? "(unknown)");
            var reporter = (Reporter(row), row.Auth, row.AuthDomains);
            if (reporters.Count < 100_000 || reporters.ContainsKey(reporter))
                reporters[reporter] = reporters.GetValueOrDefault(reporter) + 1;
            // Auth-Failure may list several mechanisms ("dkim, spf"): each counts.
            foreach (var failure in (row.AuthFailure ?? "(not given)").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                Increment(failures, failure);
            latest.Enqueue(row);
            if (latest.Count > LatestShown)
                latest.Dequeue();
        }
        if (total == 0)
            return null;
        return new FailureReportAnalysis(
            total,
            days.Select(d => new FailureReportDay(d.Key, d.Value)).ToList(),
            Top(sources),
            Top(failures),
            reporters.GroupBy(r => r.Key.Reporter, StringComparer.Ordinal)
                .Select(g => ReporterIdentities.Identity(g.Key, g.Select(r => AuthRow(g.Key, r.Key.Auth, r.Key.AuthDomains, r.Value)).ToList()))
                .OrderByDescending(r => r.Reports).ThenBy(r => r.Reporter, StringComparer.Ordinal).Take(TopListed).ToList(),
            latest.Reverse().Select(r => Sample(r, showDetails)).ToList(),
            !showDetails);
    }

    private static string Reporter(FailureReportRow row) => row.ReportingDomain ?? "(unknown)";

    /// <summary>One report's verdict as a row of its reporter's tally.</summary>
    private static ReporterAuthRow AuthRow(string reporter, string? auth, string? authDomains, long reports) =>
        new("", reporter, ReportAuthentication.Parse(auth), reports) { AuthDomains = authDomains };

    private static FailureReportSample Sample(FailureReportRow r, bool showDetails)
    {
        var identity = ReporterIdentities.Identity(Reporter(r), [AuthRow(Reporter(r), r.Auth, r.AuthDomains, 1)]);
        return new FailureReportSample(
            r.Arrival, r.ReportingDomain is null ? null : identity.Label, r.ReportedDomain, r.SourceIp, r.AuthFailure,
            showDetails ? r.HeaderFrom ?? r.OriginalMailFrom : FailureReportPrivacy.MaskAddressField(r.HeaderFrom ?? r.OriginalMailFrom),
            showDetails ? r.HeaderTo ?? r.OriginalRcptTo : FailureReportPrivacy.MaskAddressField(r.HeaderTo ?? r.OriginalRcptTo),
            showDetails ? r.Subject : FailureReportPrivacy.MaskSubject(r.Subject),
            identity.MailText);
    }

    private static void Increment(Dictionary<string, long> counts, string key)
    {
        if (counts.Count < 100_000 || counts.ContainsKey(key))
            counts[key] = counts.GetValueOrDefault(key) + 1;
    }

    private static IReadOnlyList<NamedCount> Top(Dictionary<string, long> counts) =>
        counts.Select(c => new NamedCount(c.Key, c.Value)).OrderByDescending(c => c.Count).ThenBy(c => c.Name, StringComparer.Ordinal).Take(TopListed).ToList();
}
