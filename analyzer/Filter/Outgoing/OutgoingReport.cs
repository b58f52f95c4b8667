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
    IReadOnlyList<ReportRow> Rows)
{
    public const string Generator = "DmarcAnalyzer";

    /// <summary>RFC 9990 file name: receiver!policy-domain!begin!end!unique-id.xml.gz (the same on a re-send).</summary>
    public string FileName =>
        $"{Receiver}!{Policy.Domain}!{Begin.ToUnixTimeSeconds()}!{End.ToUnixTimeSeconds()}!{ReportId}.xml.gz";

    public long Messages => Rows.Sum(r => r.Count);

    /// <summary>The report of one policy domain's <paramref name="rows"/> (not empty) for the UTC day <paramref name="day"/>.</summary>
    public static OutgoingReport Of(OutgoingReportSettings settings, DateOnly day, ReportRows rows)
    {
        var policy = rows.Last!.Policy;
        var begin = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        // Unique for us, and the same whenever this report is built again: its destinations and a re-send share it.
        var id = $"{day:yyyyMMdd}.{policy.Domain}";
        return new OutgoingReport(settings.OrgName, settings.Email, settings.ContactInfo, settings.Receiver, id,
            begin, begin.AddDays(1).AddSeconds(-1), policy, rows.InOrder());
    }
}
