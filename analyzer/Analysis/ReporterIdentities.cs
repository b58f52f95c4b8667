using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// A reporter as the DKIM of its report mail shows it (red-team F9): how many of its reports in the period were shown to
/// come from their sender's domain and how many were not, the signers to name beside it (<see cref="ReportAuthentication.SignersBeside"/>),
/// and in plain words why it is not shown to be who it says (the commonest reason when there are several; null when it is).
/// </summary>
internal sealed record ReporterIdentity(string Reporter, long Reports, long Verified, long Unverified, IReadOnlyList<string> SignedBy, string? Why)
{
    /// <summary>The name to show: "google.com (signed by attacker.example)" when the report mail was signed by a domain not the name's own.</summary>
    public string Label => ReportAuthentication.Label(Reporter, SignedBy);

    /// <summary>What the report mail says of this reporter, in plain words, for a table's column.</summary>
    public string MailText => Why ?? (Verified > 0 ? "DKIM-signed by its sender's domain" : "read from files: no mail to verify");
}

/// <summary>Per policy domain, every reporter with what its report mail's DKIM showed; reporters not shown to be who they say first.</summary>
internal static class ReporterIdentities
{
    public static IReadOnlyDictionary<string, IReadOnlyList<ReporterIdentity>> Of(IEnumerable<ReporterAuthRow> rows) =>
        rows.GroupBy(r => r.Domain, StringComparer.Ordinal).ToDictionary(
            domain => domain.Key,
            domain => (IReadOnlyList<ReporterIdentity>)domain.GroupBy(r => r.Reporter, StringComparer.Ordinal)
                .Select(reporter => Identity(reporter.Key, reporter.ToList()))
                .OrderByDescending(u => u.Unverified).ThenByDescending(u => u.Reports).ThenBy(u => u.Reporter, StringComparer.Ordinal)
                .ToList(),
            StringComparer.Ordinal);

    /// <summary>One reporter's identity from its rows (of one domain, or of several: the reporters of a page).</summary>
    public static ReporterIdentity Identity(string reporter, IReadOnlyList<ReporterAuthRow> rows)
    {
        var marked = rows.Where(r => ReportAuthentication.Mark(r.Verdict) is not null).ToList();
        var verified = rows.Where(r => r.Verdict == ReportAuthVerdict.Verified).ToList();
        // Per row, so that a report signed by the name's own domain does not hide another signed by a stranger.
        var signers = verified
            .SelectMany(r => ReportAuthentication.SignersBeside(reporter, (r.AuthDomains ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var commonest = marked.GroupBy(r => r.Verdict).MaxBy(g => ReportCount.Sum(g, r => r.Reports));
        return new ReporterIdentity(reporter, ReportCount.Sum(rows, r => r.Reports), ReportCount.Sum(verified, r => r.Reports),
            ReportCount.Sum(marked, r => r.Reports), signers, commonest is null ? null : ReportAuthentication.Mark(commonest.Key));
    }
}
