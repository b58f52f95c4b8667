namespace DmarcAnalyzer.Filter.Outgoing;

/// <summary>
/// One domain's messages folded into report rows as they are read: memory grows with the distinct rows, not with
/// the day's messages. The policy is the one in force at the last message added (a record changed during the day
/// is reported as it stood at the end).
/// </summary>
internal sealed class ReportRows
{
    private readonly Dictionary<string, ReportRow> _rows = new(StringComparer.Ordinal);

    public ReportedMessage? Last { get; private set; }

    public void Add(ReportedMessage message)
    {
        var key = Key(message);
        _rows[key] = _rows.TryGetValue(key, out var row) ? row with { Count = row.Count + 1 } : new ReportRow(message, 1);
        Last = message;
    }

    /// <summary>The rows in a stable order: the same messages give the same report.</summary>
    public IReadOnlyList<ReportRow> InOrder() =>
        _rows.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Value).ToList();

    /// <summary>Everything RFC 9990 reports of a message, apart from the policy: messages with the same key share a row.</summary>
    private static string Key(ReportedMessage m) => string.Join('\u001f',
        m.SourceIp, m.Disposition, m.DkimAligned, m.SpfAligned, m.HeaderFrom, m.EnvelopeFrom, m.EnvelopeTo,
        string.Join('\u001e', m.Reasons.Select(r => $"{r.Type}\u001d{r.Comment}")),
        string.Join('\u001e', m.Dkim.Select(d => $"{d.Domain}\u001d{d.Selector}\u001d{d.Result}")),
        m.Spf is { } spf ? $"{spf.Domain}\u001d{spf.Scope}\u001d{spf.Result}" : "");
}
