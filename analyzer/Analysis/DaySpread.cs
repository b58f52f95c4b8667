namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Spreads the message counts of a report whose period spans several UTC days over those days, in proportion to the
/// seconds of the period in each (as parsedmarc and dmarc-srg do): a record has no time of its own, only its report's
/// date range (RFC 9990), so an even spread is the guess that assumes least, and a two-day report no longer makes a
/// spike on the day it begins. Counts stay whole messages and add up exactly: each count is split by the whole part of
/// its shares, and the messages left over go to the days owed most so far across the report's records (smooth
/// weighted round robin), so that many one-message records still spread evenly.
/// </summary>
internal sealed class DaySpread
{
    /// <summary>A range longer than this is no aggregate report period (a broken date range): it counts on its begin day.</summary>
    public const int MaxDays = 31;

    private readonly long _firstDay;
    private readonly long[] _seconds;
    private readonly long _total;
    private readonly long[] _owed;

    private DaySpread(long firstDay, long[] seconds)
    {
        _firstDay = firstDay;
        _seconds = seconds;
        _total = seconds.Sum();
        _owed = new long[seconds.Length];
    }

    /// <summary>The spread of the period from <paramref name="beginUtc"/> to <paramref name="endUtc"/>, or null when it lies in one UTC day (or is implausible).</summary>
    public static DaySpread? Of(long beginUtc, long endUtc)
    {
        // Reporters end a period on its last second (23:59:59) or on the midnight after it: both close the day.
        var end = FloorMod(endUtc, 86400) == 86399 ? endUtc + 1 : endUtc;
        end = Math.Max(end, beginUtc + 1);
        var first = FloorDiv(beginUtc, 86400);
        var days = FloorDiv(end - 1, 86400) - first + 1;
        if (days <= 1 || days > MaxDays)
            return null;
        var seconds = new long[days];
        for (var i = 0; i < days; i++)
        {
            var dayStart = (first + i) * 86400;
            seconds[i] = Math.Min(end, dayStart + 86400) - Math.Max(beginUtc, dayStart);
        }
        return new DaySpread(first, seconds);
    }

    /// <summary><paramref name="count"/> messages split over the days: (unix day, messages), days with none left out; the parts add up to <paramref name="count"/>.</summary>
    public List<(long Day, long Count)> Split(long count)
    {
        var parts = new long[_seconds.Length];
        var given = 0L;
        for (var i = 0; i < parts.Length; i++)
        {
            // Int128: a count summed over many records times a month of seconds may pass long.
            parts[i] = (long)((Int128)count * _seconds[i] / _total);
            given += parts[i];
        }
        // Fewer messages than days are left over; each goes to the day owed most.
        for (var left = count - given; left > 0; left--)
        {
            var most = 0;
            for (var i = 0; i < _owed.Length; i++)
            {
                _owed[i] += _seconds[i];
                if (_owed[i] > _owed[most])
                    most = i;
            }
            _owed[most] -= _total;
            parts[most]++;
        }
        var split = new List<(long, long)>(parts.Length);
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i] > 0)
                split.Add((_firstDay + i, parts[i]));
        }
        return split;
    }

    private static long FloorDiv(long a, long b) => a / b - (a % b < 0 ? 1 : 0);

    private static long FloorMod(long a, long b) => a - FloorDiv(a, b) * b;
}
