namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Received mail as the milter judged it, from the verdict log: result counts per check (that check's RFC 8601 words
/// in a fixed order, zeros included, then "not checked" and "other" when seen), by ISO week and by month, the actions taken, and the
/// From domains of forged mail.
/// </summary>
internal sealed record InboundAnalysis(
    InboundTally Total,
    IReadOnlyList<InboundPeriodTally> Weeks,
    IReadOnlyList<InboundPeriodTally> Months,
    IReadOnlyList<NamedCount> Actions,
    IReadOnlyList<NamedCount> ForgedDomains)
{
    /// <summary>The SPF result words shown, zeros included, in this order (RFC 8601 §2.7.2, RFC 7208 §2.6).</summary>
    public static readonly IReadOnlyList<string> SpfWords = ["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"];

    /// <summary>The DKIM result words (RFC 8601 §2.7.1): no softfail; neutral and policy are DKIM's own.</summary>
    public static readonly IReadOnlyList<string> DkimWords = ["pass", "fail", "policy", "neutral", "none", "temperror", "permerror"];

    /// <summary>The DMARC result words (RFC 9989 §4.7, RFC 8601 §2.7): neither softfail nor neutral.</summary>
    public static readonly IReadOnlyList<string> DmarcWords = ["pass", "fail", "none", "temperror", "permerror"];

    public const string NotChecked = "not checked";
}

/// <summary>Messages and their SPF, DKIM and DMARC result counts.</summary>
internal sealed record InboundTally(long Messages, IReadOnlyList<NamedCount> Spf, IReadOnlyList<NamedCount> Dkim, IReadOnlyList<NamedCount> Dmarc)
{
    public static long Of(IReadOnlyList<NamedCount> counts, string word) => counts.FirstOrDefault(c => c.Name == word)?.Count ?? 0;
}

/// <summary>One week (<c>2026-W07</c>) or month (<c>2026-02</c>) of received mail, with its first day.</summary>
internal sealed record InboundPeriodTally(string Label, DateOnly FirstDay, InboundTally Tally);
