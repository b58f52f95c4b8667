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

    /// <summary>
    /// The report of <paramref name="messages"/> (all under <paramref name="policy"/>'s domain) for the UTC day
    /// <paramref name="day"/>; rows are grouped by everything RFC 9990 reports of a message and listed in a stable order.
    /// </summary>
    public static OutgoingReport Of(OutgoingReportSettings settings, PublishedPolicy policy, DateOnly day, IEnumerable<ReportedMessage> messages)
    {
        var begin = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var rows = messages
            .GroupBy(RowKey, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ReportRow(g.First(), g.LongCount()))
            .ToList();
        // Unique for us, and the same whenever this report is built again: its destinations and a re-send share it.
        var id = $"{day:yyyyMMdd}.{policy.Domain}";
        return new OutgoingReport(settings.OrgName, settings.Email, settings.ContactInfo, settings.Receiver, id,
            begin, begin.AddDays(1).AddSeconds(-1), policy, rows);
    }

    private static string RowKey(ReportedMessage m) => string.Join('\u001f',
        m.SourceIp, m.Disposition, m.DkimAligned, m.SpfAligned, m.HeaderFrom, m.EnvelopeFrom, m.EnvelopeTo,
        string.Join('\u001e', m.Reasons.Select(r => $"{r.Type}\u001d{r.Comment}")),
        string.Join('\u001e', m.Dkim.Select(d => $"{d.Domain}\u001d{d.Selector}\u001d{d.Result}")),
        m.Spf is { } spf ? $"{spf.Domain}\u001d{spf.Scope}\u001d{spf.Result}" : "");
}
