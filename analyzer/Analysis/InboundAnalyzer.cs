using System.Globalization;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Reads the milter's verdict log for the report period (submissions left out: they are not received mail) and
/// tallies it in one pass. Null when the log has no rows in the period, so the report shows no inbound section.
/// </summary>
internal static class InboundAnalyzer
{
    public const int TopForgedDomains = 20;

    /// <summary>Distinct forged From domains counted at most: a flood of random names stays bounded.</summary>
    private const int MaxForgedDomains = 100_000;

    public static async Task<InboundAnalysis?> AnalyzeAsync(IVerdictQueries db, ReportPeriod period, CancellationToken ct)
    {
        var total = new TallyBuilder();
        var weeks = new SortedDictionary<IsoWeek, TallyBuilder>();
        var months = new SortedDictionary<DateOnly, TallyBuilder>();
        var actions = new Dictionary<string, long>(StringComparer.Ordinal);
        var forged = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var v in db.ReceivedAsync(period.FromUtc, period.ToUtcExclusive, ct))
        {
            var day = ReportPeriod.DayFromUnixDay(Math.DivRem(v.TimeUtc, 86400, out var rem) - (rem < 0 ? 1 : 0));
            var (spf, dkim, dmarc) = (Checked(v.Spf), Checked(v.Dkim), Checked(v.Dmarc));
            total.Add(spf, dkim, dmarc);
            Get(weeks, IsoWeek.Of(day)).Add(spf, dkim, dmarc);
            Get(months, new DateOnly(day.Year, day.Month, 1)).Add(spf, dkim, dmarc);
            Increment(actions, ActionName(v.Action, v.Reason));
            if ((dmarc == "fail" && !IsForwarded(v.Reason) || v.Reason.StartsWith("forged sender", StringComparison.Ordinal))
                && FromDomain(v.HeaderFrom) is { } domain && (forged.Count < MaxForgedDomains || forged.ContainsKey(domain)))
                Increment(forged, domain);
        }
        if (total.Messages == 0)
            return null;
        return new InboundAnalysis(
            total.Build(),
            weeks.Select(w => new InboundPeriodTally(w.Key.ToString(), w.Key.Monday, w.Value.Build())).ToList(),
            months.Select(m => new InboundPeriodTally(m.Key.ToString("yyyy-MM", CultureInfo.InvariantCulture), m.Key, m.Value.Build())).ToList(),
            Ranked(actions, int.MaxValue),
            Ranked(forged, TopForgedDomains));
    }

    /// <summary>What the filter did, in words: the action and, for refusals, which rule.</summary>
    public static string ActionName(string action, string reason)
    {
        var rule = reason.StartsWith("encrypted attachment", StringComparison.Ordinal) ? ": encrypted archive"
            : reason.StartsWith("archive could not be fully inspected", StringComparison.Ordinal) ? ": not inspectable"
            : reason.StartsWith("DMARC fail", StringComparison.Ordinal) ? ": DMARC policy"
            : "";
        return action switch
        {
            "accept" when IsForwarded(reason) => "delivered: forwarded (trusted ARC sealer)",
            "accept" => "delivered",
            "reject" => "rejected" + rule,
            "quarantine" => "quarantined" + rule,
            "tag" => "tagged" + rule,
            "removeattachments" => "attachments removed (forged sender)",
            "tempfail" => "tempfailed: DNS trouble",
            _ => action,
        };
    }

    /// <summary>A DMARC fail the filter let through as forwarded: a trusted sealer's passing ARC chain (TrustedSealers.Overridden).</summary>
    public static bool IsForwarded(string reason) => reason.Contains("DMARC fail overridden: forwarded (arc=pass", StringComparison.Ordinal);

    /// <summary>The domain of the first address in a From field, lower case; null when there is none.</summary>
    public static string? FromDomain(string? from)
    {
        if (from is null)
            return null;
        // The address is in the last angle brackets when there are any ("a@b" <x@real.example>): a display name may hold '@' too.
        var lt = from.LastIndexOf('<');
        var address = lt < 0 ? from : from[(lt + 1)..];
        var at = address.LastIndexOf('@');
        if (at < 0)
            return null;
        var end = address.IndexOfAny(['>', ' ', ',', ';', '\t', ')'], at + 1);
        var domain = (end < 0 ? address[(at + 1)..] : address[(at + 1)..end]).Trim().TrimEnd('.').ToLowerInvariant();
        return domain.Length is > 0 and <= 253 ? domain : null;
    }

    private static string Checked(string? result) => result ?? InboundAnalysis.NotChecked;

    private static TallyBuilder Get<TKey>(SortedDictionary<TKey, TallyBuilder> table, TKey key) where TKey : notnull
    {
        if (!table.TryGetValue(key, out var builder))
            table[key] = builder = new TallyBuilder();
        return builder;
    }

    private static void Increment(Dictionary<string, long> counts, string key) =>
        counts[key] = counts.GetValueOrDefault(key) + 1;

    private static List<NamedCount> Ranked(Dictionary<string, long> counts, int take) =>
        counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(take).Select(c => new NamedCount(c.Key, c.Value)).ToList();

    private sealed class TallyBuilder
    {
        private readonly Dictionary<string, long> _spf = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _dkim = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _dmarc = new(StringComparer.Ordinal);

        public long Messages { get; private set; }

        public void Add(string spf, string dkim, string dmarc)
        {
            Messages++;
            // Words come from our own filter; anything else is folded into one bucket so the tables stay small.
            Increment(_spf, Known(InboundAnalysis.SpfWords, spf));
            Increment(_dkim, Known(InboundAnalysis.DkimWords, dkim));
            Increment(_dmarc, Known(InboundAnalysis.DmarcWords, dmarc));
        }

        public InboundTally Build() => new(Messages,
            Counts(InboundAnalysis.SpfWords, _spf), Counts(InboundAnalysis.DkimWords, _dkim), Counts(InboundAnalysis.DmarcWords, _dmarc));

        private static string Known(IReadOnlyList<string> words, string word) =>
            words.Contains(word) || word is InboundAnalysis.NotChecked ? word : "other";

        private static List<NamedCount> Counts(IReadOnlyList<string> words, Dictionary<string, long> counts) =>
            words.Select(w => new NamedCount(w, counts.GetValueOrDefault(w)))
                .Concat(counts.Where(c => !words.Contains(c.Key)).OrderBy(c => c.Key, StringComparer.Ordinal)
                    .Select(c => new NamedCount(c.Key, c.Value)))
                .ToList();
    }
}
