using System.Net;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>Advice that points at what exists, says what the next step buys, and counts in English.</summary>
public sealed class PolicyAdviceTests
{
    private static readonly DateOnly Monday = new(2026, 2, 16);

    private static async Task<DomainAnalysis> AnalyzeAsync(TestStore store, KnownSenders? known = null, IDnsResolver? resolver = null) =>
        Assert.Single((await StoreAnalyzerTests.Analyzer(known, resolver).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken)).Domains);

    [Fact]
    public async Task WhenOnlyForwardedMailWouldBeHitTheAdviceSaysSoAndPointsAtNoEmptyList()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.1", 9_700),
            new("198.51.100.9", 300, DkimEval: "fail", SpfEval: "fail", Reasons: ["mailing_list"]),
            new("203.0.113.66", 500, DkimEval: "fail", SpfEval: "fail"),
        ]);

        var r = (await AnalyzeAsync(store)).Readiness;

        Assert.Equal(Verdict.Ready, r.Verdict);
        Assert.Empty(r.ToFix);
        Assert.StartsWith("Move to p=quarantine with sp=quarantine, RFC 9989's end state for general-purpose mail domains: it would hit 300 messages (3% of legitimate mail).", r.NextStep);
        Assert.Contains("Nothing of yours fails DMARC", r.NextStep);
        Assert.Contains("ARC", r.NextStep);
        Assert.Contains("Filter:Authentication:NeverReject", r.NextStep);
        Assert.DoesNotContain("listed", r.NextStep);
        Assert.Equal("p=quarantine would have stopped 500 messages (4.8% of all mail) that nobody authorised this period: today they are delivered.", r.Gain);
    }

    [Fact]
    public async Task ASteadyUnlistedSenderSigningWithItsOwnDomainIsUnrecognisedNotSpoofing()
    {
        await using var store = await TestStore.CreateAsync();
        for (var day = 0; day < StoreAnalyzer.SteadyDays; day++)
            await store.AddReportAsync("example.com", Monday.AddDays(day),
            [
                new("192.0.2.1", 1_000),
                new("198.51.100.20", 100, DkimEval: "fail", SpfEval: "fail", Dkim: [("esp-mailer.example", "pass")]),
                new("203.0.113.66", 40, DkimEval: "fail", SpfEval: "fail", Dkim: [("spam.example", "pass")]),
                new("203.0.113.67", 10, DkimEval: "fail", SpfEval: "fail"),
            ]);
        // A one-off spoofer that signs with a domain of its own is still a spoofer.
        await store.AddReportAsync("example.com", Monday, [new("203.0.113.99", 5, DkimEval: "fail", SpfEval: "fail", Dkim: [("other.example", "pass")])]);

        var d = await AnalyzeAsync(store);
        var r = d.Readiness;

        Assert.Equal(["198.51.100.20", "203.0.113.66"], r.Unrecognised.Select(u => u.Name));
        Assert.Equal(300, r.Unrecognised[0].Failing);
        Assert.Contains("add it to Analysis:KnownSenders", r.Unrecognised[0].Advice);
        Assert.Equal(30 + 5, r.Spoofed);
        Assert.Equal(Verdict.Nearly, r.Verdict);
        Assert.StartsWith("Stay at p=none and first look at the 2 unrecognised senders listed below: 420 messages", r.NextStep);
        Assert.True(d.Sources.Single(s => s.Ip == "198.51.100.20").LikelyService);
        Assert.False(d.Sources.Single(s => s.Ip == "203.0.113.99").LikelyService);
        Assert.False(d.Sources.Single(s => s.Ip == "203.0.113.67").LikelyService);
    }

    [Fact]
    public async Task AListedSenderThatSignsForItselfStaysASenderToFix()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.1", 1_000),
            new("198.51.100.20", 1, DkimEval: "fail", SpfEval: "fail", Dkim: [("esp-mailer.example", "pass")]),
        ]);

        var r = (await AnalyzeAsync(store, StoreAnalyzerTests.Known(("newsletter", ["198.51.100.0/24"], [])))).Readiness;

        Assert.Empty(r.Unrecognised);
        Assert.Equal("newsletter", Assert.Single(r.ToFix).Name);
        Assert.Equal("Move to p=quarantine with sp=quarantine: only 1 message (0.1% of legitimate mail) fails DMARC. Then fix the 1 sender listed below, " +
                     "biggest first: it sends 1 of the 1 message (0.1% of legitimate mail) that p=quarantine would hit.", r.NextStep);
        Assert.Equal("No spoofed mail was reported in this period.", r.Gain);
    }

    [Fact]
    public async Task NoLegitimateFailureIsSaidInWordsNotAsZeroPercent()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday, [new("192.0.2.1", 1)], p: "quarantine", np: "reject");

        var r = (await AnalyzeAsync(store)).Readiness;

        Assert.Equal("Move to p=reject with sp=reject, unless this is a general-purpose mail domain (see the note below): no legitimate mail fails DMARC.", r.NextStep);
        Assert.Contains("Only 1 legitimate message was reported: judge with care.", r.Notes);
    }

    [Theory]
    [InlineData(0, "0 messages")]
    [InlineData(1, "1 message")]
    [InlineData(1234, "1,234 messages")]
    public void CountsAgreeInNumber(long n, string expected) => Assert.Equal(expected, Wording.Messages(n));

    [Theory]
    [InlineData(0.0, "0%")]
    [InlineData(0.0001, "under 0.1%")]
    [InlineData(0.016, "1.6%")]
    [InlineData(0.99999, "over 99.9%")]
    [InlineData(1.0, "100%")]
    public void ASmallShareNeverReadsAsNone(double share, string expected) => Assert.Equal(expected, Wording.Percent(share));

    [Fact]
    public async Task ReverseDnsStopsAfterTheFirstRoundOfFailuresAndSaysWhy()
    {
        await using var store = await TestStore.CreateAsync();
        var resolver = new FakeResolver();
        var sources = Enumerable.Range(1, 20).Select(i => new TestRecord($"192.0.2.{i}", 100 - i)).ToList();
        foreach (var s in sources)
            resolver.Ptr[IPAddress.Parse(s.Ip)] = new DnsLookup<string>(DnsOutcome.TempError, [], "timed out");
        await store.AddReportAsync("example.com", Monday, sources);

        var analysis = await StoreAnalyzerTests.Analyzer(null, resolver).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);

        // The first round (as many as are asked at once) all failing means DNS is down, not one address's zone.
        Assert.Equal(ReverseDnsNames.Parallelism, resolver.PtrQuestions);
        Assert.Matches(@"^looking up 192\.0\.2\.\d+ failed: timed out$", analysis.ReverseDnsTrouble);
        Assert.All(Assert.Single(analysis.Domains).Sources, s => Assert.Null(s.PtrName));
    }
}
