using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>A report whose period spans several UTC days counts on each of them in proportion, in whole messages that add up.</summary>
public sealed class DaySpreadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const long Day = 20_500;
    private const long Midnight = Day * 86400;

    [Fact]
    public void ThreeWholeDaysShareEvenlyAndOneMessageRecordsTakeTurns()
    {
        var spread = DaySpread.Of(Midnight, Midnight + 3 * 86400 - 1)!;
        Assert.Equal([(Day, 100L), (Day + 1, 100L), (Day + 2, 100L)], spread.Split(300));
        var ones = Enumerable.Range(0, 6).SelectMany(_ => spread.Split(1)).GroupBy(p => p.Day).ToDictionary(g => g.Key, g => g.Sum(p => p.Count));
        Assert.Equal(new Dictionary<long, long> { [Day] = 2, [Day + 1] = 2, [Day + 2] = 2 }, ones);
    }

    [Fact]
    public void SharesFollowTheSecondsInEachDayAndAddUp()
    {
        // 18:00 on one day to 12:00 two days later: 6, 24 and 12 hours.
        var spread = DaySpread.Of(Midnight + 18 * 3600, Midnight + 2 * 86400 + 12 * 3600)!;
        Assert.Equal([(Day, 1000L), (Day + 1, 4000L), (Day + 2, 2000L)], spread.Split(7000));
        Assert.Equal(7, spread.Split(7).Sum(p => p.Count));
        Assert.Equal(1L << 40, spread.Split(1L << 40).Sum(p => p.Count));
    }

    [Theory]
    [InlineData(0, 86399)]
    [InlineData(0, 86400)]
    [InlineData(3600, 3600)]
    [InlineData(0, 40 * 86400)]
    public void OneDayAMidnightEndOrAnImplausibleRangeIsNoSpread(long begin, long end) =>
        Assert.Null(DaySpread.Of(Midnight + begin, Midnight + end));

    [Fact]
    public async Task TheDailyFiguresShowNoSpikeOnTheBeginDay()
    {
        await using var store = await TestStore.CreateAsync();
        var monday = new DateOnly(2026, 11, 30);
        await store.AddReportAsync("example.com", monday, [new("192.0.2.1", 900), new("192.0.2.2", 300, DkimEval: "fail", SpfEval: "fail")],
            lastDay: monday.AddDays(2));
        await store.AddReportAsync("example.com", monday.AddDays(1), [new("192.0.2.1", 50)]);

        var analysis = await StoreAnalyzerTests.Analyzer().AnalyzeAsync(store.Records, ReportPeriod.All, null, Ct);

        var d = Assert.Single(analysis.Domains);
        Assert.Equal(1250, d.Total.Volume);
        Assert.Equal([(monday, 400L, 100L), (monday.AddDays(1), 450L, 100L), (monday.AddDays(2), 400L, 100L)],
            d.Days.Select(x => (x.Day, x.Tally.Volume, x.Tally.Failing)));
        Assert.Equal(1250, Assert.Single(d.Weeks).Tally.Volume);
    }
}
