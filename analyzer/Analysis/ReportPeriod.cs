namespace DmarcAnalyzer.Analysis;

/// <summary>
/// The days a report covers, both ends included; null ends are open (all data). Reports are selected by
/// the UTC day their period begins.
/// </summary>
internal sealed record ReportPeriod(DateOnly? From, DateOnly? To)
{
    public static readonly ReportPeriod All = new(null, null);

    public static ReportPeriod OfWeek(IsoWeek week) => new(week.Monday, week.Sunday);

    public long FromUtc => From is { } d ? UnixSeconds(d) : long.MinValue;

    public long ToUtcExclusive => To is { } d ? UnixSeconds(d.AddDays(1)) : long.MaxValue;

    /// <summary>The date of a unix day number; absurd begin times from a report are clamped to the calendar's ends.</summary>
    public static DateOnly DayFromUnixDay(long unixDay) =>
        DateOnly.FromDayNumber((int)Math.Clamp(UnixEpoch.DayNumber + unixDay, DateOnly.MinValue.DayNumber, DateOnly.MaxValue.DayNumber));

    private static readonly DateOnly UnixEpoch = new(1970, 1, 1);

    private static long UnixSeconds(DateOnly day) => (long)(day.DayNumber - UnixEpoch.DayNumber) * 86400;
}
