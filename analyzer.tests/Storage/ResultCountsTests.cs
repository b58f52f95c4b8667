using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Tests.Storage;

public class ResultCountsTests
{
    private static Dictionary<(string, string), long> Sums(ResultCounts counts) => counts.Sums().ToDictionary();

    [Fact]
    public void RunsOfOneValueAndEqualValuesFromOtherInstancesAddUp()
    {
        var counts = new ResultCounts();
        var pass = "pass";
        counts.Add(ResultCounts.Dkim, pass, 3);
        counts.Add(ResultCounts.Dkim, pass, 4);
        counts.Add(ResultCounts.Dkim, "fail", 1);
        counts.Add(ResultCounts.Dkim, new string("pass".AsSpan()), 5);
        counts.Add(ResultCounts.Spf, pass, 2);
        Assert.Equal(new Dictionary<(string, string), long>
        {
            [("dkim", "pass")] = 12,
            [("dkim", "fail")] = 1,
            [("spf", "pass")] = 2,
        }, Sums(counts));
    }

    [Fact]
    public void SumsSaturateInsteadOfOverflowing()
    {
        var counts = new ResultCounts();
        for (var i = 0; i < 10_000; i++)
            counts.Add(ResultCounts.Reason, "forwarded", long.MaxValue / 1000);
        Assert.Equal(9_000_000_000_000_000_000, Sums(counts)[("reason", "forwarded")]);
    }

    [Fact]
    public void RunsThatAreEachNearTheCeilingSaturateWhenTheyMeet()
    {
        const long Saturated = 9_000_000_000_000_000_000;
        var counts = new ResultCounts();
        counts.Add(ResultCounts.Dkim, "pass", Saturated);
        counts.Add(ResultCounts.Dkim, "fail", 0);
        counts.Add(ResultCounts.Dkim, "pass", Saturated);
        Assert.Equal(Saturated, Sums(counts)[("dkim", "pass")]);
    }

    [Fact]
    public void ValuesPastTheCapAreCountedTogetherAndClearStartsAgain()
    {
        var counts = new ResultCounts();
        for (var i = 0; i < ResultCounts.MaxDistinctValues + 10; i++)
            counts.Add(ResultCounts.Spf, $"v{i}", 1);
        var sums = Sums(counts);
        Assert.Equal(ResultCounts.MaxDistinctValues + 1, sums.Count);
        Assert.Equal(10, sums[("spf", ResultCounts.OtherValues)]);
        counts.Clear();
        counts.Add(ResultCounts.Spf, "pass", 1);
        Assert.Equal([(("spf", "pass"), 1L)], Sums(counts).Select(kv => (kv.Key, kv.Value)));
    }
}
