namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Received mail as the milter judged it, from the verdict log: result counts per check (every RFC 8601 word in a
/// fixed order, zeros included, then any other word seen), by ISO week and by month, the actions taken, and the
/// From domains of forged mail.
/// </summary>
internal sealed record InboundAnalysis(
    InboundTally Total,
    IReadOnlyList<InboundPeriodTally> Weeks,
    IReadOnlyList<InboundPeriodTally> Months,
    IReadOnlyList<NamedCount> Actions,
    IReadOnlyList<NamedCount> ForgedDomains)
{
    /// <summary>The result words shown for every check, in this order (RFC 8601 §2.7).</summary>
    public static readonly IReadOnlyList<string> ResultWords = ["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"];

    public const string NotChecked = "not checked";
}

/// <summary>Messages and their SPF, DKIM and DMARC result counts.</summary>
internal sealed record InboundTally(long Messages, IReadOnlyList<NamedCount> Spf, IReadOnlyList<NamedCount> Dkim, IReadOnlyList<NamedCount> Dmarc)
{
    public static long Of(IReadOnlyList<NamedCount> counts, string word) => counts.FirstOrDefault(c => c.Name == word)?.Count ?? 0;
}

/// <summary>One week (<c>2026-W07</c>) or month (<c>2026-02</c>) of received mail, with its first day.</summary>
internal sealed record InboundPeriodTally(string Label, DateOnly FirstDay, InboundTally Tally);
