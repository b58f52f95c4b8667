namespace DmarcAnalyzer.Reports;

/// <summary>
/// Message and session counts come from strangers: each is capped when read, and every sum over them saturates at
/// <see cref="long.MaxValue"/> instead of overflowing, so no report can make the analysis throw or wrap negative.
/// </summary>
internal static class ReportCount
{
    /// <summary>Above this one count is nonsense (no receiver sees a trillion messages from one source in a day).</summary>
    public const long Max = 1_000_000_000_000;

    public static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    public static long Sum<T>(IEnumerable<T> items, Func<T, long> count)
    {
        var sum = 0L;
        foreach (var item in items)
            sum = Add(sum, count(item));
        return sum;
    }
}
