using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace DmarcAnalyzer.Filter.Outgoing;

/// <summary>One row of an aggregate report: the messages that share a source, disposition, results and identifiers.</summary>
internal sealed record ReportRow(ReportedMessage Sample, long Count);

/// <summary>
/// One RFC 9990 aggregate report of ours: one policy domain, one UTC day. <see cref="Receiver"/> is our domain, the
/// submitter of the mail and the first part of the file name.
/// </summary>
internal sealed record OutgoingReport(
    string OrgName,
    string Email,
    string? ContactInfo,
    string Receiver,
    string ReportId,
    DateTimeOffset Begin,
    DateTimeOffset End,
    PublishedPolicy Policy,
    IReadOnlyList<ReportRow> Rows,
    string? Error = null)
{
    /// <summary>The generator element: our name and version, where a report consumer may send bug reports (RFC 9990 report_metadata).</summary>
    public static readonly string Generator = "DmarcAnalyzer " + (typeof(OutgoingReport).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    /// <summary>RFC 9990 file name: receiver!policy-domain!begin!end!unique-id.xml.gz (the same on a re-send).</summary>
    public string FileName =>
        $"{Receiver}!{Policy.Domain}!{Begin.ToUnixTimeSeconds()}!{End.ToUnixTimeSeconds()}!{ReportId}.xml.gz";

    public long Messages => Rows.Sum(r => r.Count);

    /// <summary>The report of one policy domain's <paramref name="rows"/> (not empty) for the UTC day <paramref name="day"/>.</summary>
    public static OutgoingReport Of(OutgoingReportSettings settings, DateOnly day, ReportRows rows)
    {
        var policy = rows.Last!.Policy;
        var begin = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        // The Report-ID is also the file name's unique-id, which must be letters and digits (RFC 9990, the filename ABNF): the day,
        // and a digest of our domain and the policy domain, so that it is unique among the reports every receiver sends
        // the domain, and the same whenever this report is built again (its destinations and a re-send share it).
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{settings.Receiver}!{policy.Domain.ToLowerInvariant()}"));
        var id = $"{day:yyyyMMdd}{Convert.ToHexStringLower(digest, 0, 8)}";
        // The error element: what of the record's rua= we could not use (RFC 9990 report_metadata/error).
        var unusable = ReportDestination.Split(policy.Rua).Unusable;
        var error = unusable.Count == 0 ? null : $"rua: not a usable mailto: URI, left out: {string.Join(", ", unusable)}";
        return new OutgoingReport(settings.OrgName, settings.Email, settings.ContactInfo, settings.Receiver, id,
            begin, begin.AddDays(1).AddSeconds(-1), policy, rows.InOrder(), error);
    }
}
