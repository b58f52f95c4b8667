using System.Net;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Tests.Analysis;

public sealed class StoreAnalyzerTests
{
    private static readonly DateOnly Sunday = new(2026, 2, 15);   // ISO 2026-W07
    private static readonly DateOnly Monday = new(2026, 2, 16);   // ISO 2026-W08

    internal static StoreAnalyzer Analyzer(KnownSenders? known = null, IDnsResolver? resolver = null) =>
        new(known ?? KnownSenders.None, new ReverseDnsNames(resolver, TimeProvider.System), BaseDomain.Heuristic);

    internal static KnownSenders Known(params (string Name, string[] Ranges, string[] PtrDomains)[] senders)
    {
        var values = new Dictionary<string, string?>();
        for (var i = 0; i < senders.Length; i++)
        {
            values[$"KnownSenders:{i}:Name"] = senders[i].Name;
            for (var j = 0; j < senders[i].Ranges.Length; j++)
                values[$"KnownSenders:{i}:Ranges:{j}"] = senders[i].Ranges[j];
            for (var j = 0; j < senders[i].PtrDomains.Length; j++)
                values[$"KnownSenders:{i}:PtrDomains:{j}"] = senders[i].PtrDomains[j];
        }
        var config = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return KnownSenders.FromConfiguration(config.GetSection("KnownSenders"));
    }

    [Fact]
    public async Task RatesAreComputedFromRecordCounts()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            new("203.0.113.1", 600),
            new("203.0.113.2", 200, SpfEval: "fail"),
            new("203.0.113.3", 100, DkimEval: "fail"),
            new("203.0.113.4", 100, DkimEval: "fail", SpfEval: "fail", Disposition: "quarantine"),
        ]);

        var analysis = await Analyzer().AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);

        var d = Assert.Single(analysis.Domains);
        Assert.Equal(1000, d.Total.Volume);
        Assert.Equal(0.9, d.Total.DmarcPassRate!.Value, 10);
        Assert.Equal(0.8, d.Total.DkimAlignedRate!.Value, 10);
        Assert.Equal(0.7, d.Total.SpfAlignedRate!.Value, 10);
        Assert.Equal([new NamedCount("none", 900), new NamedCount("quarantine", 100)], d.Dispositions);
        var day = Assert.Single(d.Days);
        Assert.Equal(Monday, day.Day);
        Assert.Equal(new IsoWeek(2026, 8), Assert.Single(d.Weeks).Week);
    }

    [Fact]
    public async Task SendersAreClassifiedAlignedAuthorisedForwardedOrUnknown()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.10", 500),
            new("192.0.2.11", 40, DkimEval: "fail", SpfEval: "fail"),
            new("198.51.100.1", 30, DkimEval: "fail", SpfEval: "fail", Reasons: ["mailing_list"]),
            new("198.51.100.2", 20, DkimEval: "fail", SpfEval: "fail",
                Dkim: [("example.com", "pass")], Spf: [("forwarder.example", "fail")]),
            new("203.0.113.9", 10, DkimEval: "fail", SpfEval: "fail",
                Dkim: [("evil.example", "pass")], Spf: [("evil.example", "fail")]),
        ]);

        var analysis = await Analyzer(Known(("our relays", ["192.0.2.0/24"], []))).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);

        var t = Assert.Single(analysis.Domains).Total;
        Assert.Equal(500, t.Of(SenderClass.Aligned));
        Assert.Equal(40, t.Of(SenderClass.AuthorisedFailing));
        Assert.Equal(50, t.Of(SenderClass.Forwarded));
        Assert.Equal(10, t.Of(SenderClass.UnknownFailing));
        Assert.Equal(590, t.Legitimate);
        var relays = Assert.Single(analysis.Domains[0].Senders, s => s.Name == "our relays");
        Assert.True(relays.Known);
        Assert.Equal(2, relays.Sources);
    }

    [Fact]
    public async Task FailuresAReceiverAcceptedOnAnARCChainCountAsForwardedAndNotAtRisk()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.10", 1000),
            // Google and Microsoft: local_policy with an ARC comment; RFC 7489's trusted_forwarder and mailing_list.
            new("198.51.100.1", 30, DkimEval: "fail", SpfEval: "fail", Reasons: ["local_policy:arc=pass"]),
            new("198.51.100.2", 20, DkimEval: "fail", SpfEval: "fail", Reasons: ["trusted_forwarder"]),
            new("198.51.100.3", 5, DkimEval: "fail", SpfEval: "fail", Reasons: ["local_policy:ARC=pass as=2"]),
            new("203.0.113.9", 10, DkimEval: "fail", SpfEval: "fail", Reasons: ["local_policy:rate limited"]),
        ]);

        var analysis = await Analyzer(Known()).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);

        var domain = Assert.Single(analysis.Domains);
        Assert.Equal(55, domain.Total.Of(SenderClass.Forwarded));
        Assert.Equal(10, domain.Total.Of(SenderClass.UnknownFailing));
        Assert.Equal(35, domain.Total.ArcAccepted);
        // Only the trusted_forwarder mail is at risk: a receiver that accepted on ARC does so under p=reject too.
        Assert.Equal(20, domain.Readiness.AtRisk);
    }

    [Theory]
    [InlineData(5, "Ready")]
    [InlineData(30, "Nearly")]
    [InlineData(100, "NotReady")]
    public async Task VerdictFollowsTheShareOfLegitimateMailThatFails(long failing, string verdict)
    {
        var expected = Enum.Parse<Verdict>(verdict);
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.1", 1000 - failing),
            new("192.0.2.2", failing, DkimEval: "fail", SpfEval: "fail"),
            new("203.0.113.66", 5000, DkimEval: "fail", SpfEval: "fail"),
        ]);

        var analysis = await Analyzer(Known(("relays", ["192.0.2.0/24"], []))).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);

        var r = Assert.Single(analysis.Domains).Readiness;
        Assert.Equal(expected, r.Verdict);
        Assert.Equal(1000, r.Legitimate);
        Assert.Equal(failing / 1000.0, r.AtRiskShare!.Value, 10);
        Assert.Equal(failing, r.Impacts.Single(i => i.Policy == "reject").Rejected);
        Assert.Equal("relays", Assert.Single(r.ToFix).Name);
        Assert.Contains(expected == Verdict.Ready ? "p=quarantine" : "Stay at p=none", r.NextStep);
    }

    [Fact]
    public async Task ReadyAtQuarantineAdvisesRejectWithTheGeneralPurposeCaveatAndFixesBiggestFirst()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.1", 10_000),
            new("192.0.2.2", 3, DkimEval: "fail", SpfEval: "fail"),
            new("198.51.100.5", 7, DkimEval: "fail", SpfEval: "pass"),
            new("198.51.100.6", 9, DkimEval: "fail", SpfEval: "fail"),
        ], p: "quarantine", np: "reject");

        var known = Known(("relays", ["192.0.2.0/24"], []), ("newsletter service", ["198.51.100.0/24"], []));
        var r = Assert.Single((await Analyzer(known).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken)).Domains).Readiness;

        Assert.Equal(Verdict.Ready, r.Verdict);
        Assert.StartsWith("Move to p=reject", r.NextStep);
        Assert.Contains(r.Notes, n => n.Contains("general-purpose", StringComparison.Ordinal) && n.Contains("RFC 9989", StringComparison.Ordinal));
        Assert.DoesNotContain(r.Notes, n => n.StartsWith("np=reject", StringComparison.Ordinal));
        Assert.Equal(["newsletter service", "relays"], r.ToFix.Select(f => f.Name));
        Assert.Contains("no aligned DKIM", r.ToFix[0].Advice);
    }

    [Fact]
    public async Task DaysGroupIntoIsoWeeksAndThePeriodFiltersByBeginDay()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Sunday, [new("192.0.2.1", 10)]);
        await store.AddReportAsync("example.com", Monday, [new("192.0.2.1", 30, DkimEval: "fail")], org: "other.example");
        await store.AddReportAsync("example.org", Monday, [new("192.0.2.1", 5)]);

        var all = await Analyzer().AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);
        Assert.Equal(["example.com", "example.org"], all.Domains.Select(d => d.Domain));
        Assert.Equal([new IsoWeek(2026, 7), new IsoWeek(2026, 8)], all.Domains[0].Weeks.Select(w => w.Week));
        Assert.Equal([10L, 30L], all.Domains[0].Weeks.Select(w => w.Tally.Volume));
        Assert.Equal([new NamedCount("other.example", 30), new NamedCount("receiver.example", 10)], all.Domains[0].Reporters);

        var week8 = await Analyzer().AnalyzeAsync(store.Records, ReportPeriod.OfWeek(new IsoWeek(2026, 8)), "EXAMPLE.com.", TestContext.Current.CancellationToken);
        var d = Assert.Single(week8.Domains);
        Assert.Equal(30, d.Total.Volume);
        Assert.Equal(1.0, d.Total.SpfAlignedRate!.Value, 10);
        Assert.Equal(0.0, d.Total.DkimAlignedRate!.Value, 10);
    }

    [Fact]
    public async Task NoDataGivesNoDomains()
    {
        await using var store = await TestStore.CreateAsync();
        var analysis = await Analyzer().AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);
        Assert.Empty(analysis.Domains);
        Assert.Equal(0, analysis.OmittedDomains);
    }

    [Fact]
    public async Task OnlyUnknownFailingMailGivesTheNoDataVerdictWithoutNan()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday, [new("203.0.113.1", 50, DkimEval: "fail", SpfEval: "fail")]);
        var d = Assert.Single((await Analyzer().AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken)).Domains);
        Assert.Equal(Verdict.NoData, d.Readiness.Verdict);
        Assert.Null(d.Readiness.AtRiskShare);
        Assert.Equal(0.0, d.Total.DmarcPassRate!.Value, 10);
    }

    [Fact]
    public async Task ReverseDnsNamesAreForwardConfirmedCachedAndMatchKnownPtrDomains()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            new("198.51.100.7", 70, DkimEval: "fail", SpfEval: "fail"),
            new("198.51.100.8", 20, DkimEval: "fail", SpfEval: "fail"),
            new("2001:db8::25", 10),
        ]);
        var resolver = new FakeResolver();
        resolver.Ptr[IPAddress.Parse("198.51.100.7")] = DnsLookup<string>.Found(["MTA7.Out.Mailer.Example.NET."]);
        resolver.Addresses["mta7.out.mailer.example.net"] = [IPAddress.Parse("198.51.100.7")];
        resolver.Ptr[IPAddress.Parse("198.51.100.8")] = DnsLookup<string>.Found(["liar.example.org"]);
        resolver.Addresses["liar.example.org"] = [IPAddress.Parse("192.0.2.99")];
        resolver.Ptr[IPAddress.Parse("2001:db8::25")] = DnsLookup<string>.Found(["mx.example.com"]);
        resolver.Addresses["mx.example.com"] = [IPAddress.Parse("2001:db8::25")];
        var known = Known(("mailer", [], ["mailer.example.net"]));

        var first = Assert.Single((await Analyzer(known, resolver).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken)).Domains);
        var mta = first.Sources.Single(s => s.Ip == "198.51.100.7");
        Assert.Equal("mta7.out.mailer.example.net", mta.PtrName);
        Assert.Equal("example.net", mta.BaseDomain);
        Assert.Equal("mailer", mta.Sender);
        Assert.Null(first.Sources.Single(s => s.Ip == "198.51.100.8").PtrName);
        Assert.Equal("mx.example.com", first.Sources.Single(s => s.Ip == "2001:db8::25").PtrName);
        Assert.Equal(70, first.Total.Of(SenderClass.AuthorisedFailing));
        Assert.Equal(3, resolver.PtrQuestions);

        var offline = Assert.Single((await Analyzer(known).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken)).Domains);
        Assert.Equal("mta7.out.mailer.example.net", offline.Sources.Single(s => s.Ip == "198.51.100.7").PtrName);
        Assert.Equal(70, offline.Total.Of(SenderClass.AuthorisedFailing));

        await Analyzer(known, resolver).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);
        Assert.Equal(3, resolver.PtrQuestions);
    }

    [Fact]
    public async Task AFailingResolverLeavesNamesMissingAndUncached()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday, [new("198.51.100.7", 5)]);
        var resolver = new FakeResolver();
        resolver.Ptr[IPAddress.Parse("198.51.100.7")] = DnsLookup<string>.TempError("SERVFAIL");

        var d = Assert.Single((await Analyzer(resolver: resolver).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken)).Domains);
        Assert.Null(Assert.Single(d.Sources).PtrName);
        Assert.Equal("198.51.100.7", d.Sources[0].Sender);
        await Analyzer(resolver: resolver).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);
        Assert.Equal(2, resolver.PtrQuestions);
    }

    /// <summary>Whoever sends a report chooses its busiest address: that address's lame reverse zone must not switch names off.</summary>
    [Fact]
    public async Task OneAddressWhoseLookupFailsLeavesTheOthersNamedAndIsAskedAgainOnlyADayLater()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            new("203.0.113.66", 1_000_000, DkimEval: "fail", SpfEval: "fail"),
            new("198.51.100.7", 70, DkimEval: "fail", SpfEval: "fail"),
        ]);
        var resolver = new FakeResolver();
        resolver.Ptr[IPAddress.Parse("203.0.113.66")] = DnsLookup<string>.TempError("timed out");
        resolver.Ptr[IPAddress.Parse("198.51.100.7")] = DnsLookup<string>.Found(["mta7.out.mailer.example.net"]);
        resolver.Addresses["mta7.out.mailer.example.net"] = [IPAddress.Parse("198.51.100.7")];

        var analysis = await Analyzer(resolver: resolver).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);
        var d = Assert.Single(analysis.Domains);
        Assert.Equal("mta7.out.mailer.example.net", d.Sources.Single(s => s.Ip == "198.51.100.7").PtrName);
        Assert.Null(d.Sources.Single(s => s.Ip == "203.0.113.66").PtrName);
        Assert.Null(analysis.ReverseDnsTrouble);
        Assert.Equal(2, resolver.PtrQuestions);

        await Analyzer(resolver: resolver).AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);
        Assert.Equal(2, resolver.PtrQuestions);
    }

    [Fact]
    public async Task RawResultsAndReasonsAreWeightedByMessageCount()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.1", 10, Spf: [("example.com", "pass")], Dkim: [("example.com", "pass"), ("esp.example", "fail")]),
            new("192.0.2.2", 3, DkimEval: "fail", SpfEval: "fail", Spf: [("example.com", "softfail")], Reasons: ["local_policy"]),
            new("192.0.2.3", 2, Spf: [("example.com", "<b>odd</b>")], Dkim: [("example.com", "pass")]),
        ]);

        var d = Assert.Single((await Analyzer().AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken)).Domains);

        Assert.Equal([new NamedCount("pass", 10), new NamedCount("softfail", 3), new NamedCount("(unrecognised)", 2)], d.SpfResults);
        Assert.Equal([new NamedCount("pass", 12), new NamedCount("fail", 10)], d.DkimResults);
        Assert.Equal([new NamedCount("local_policy", 3)], d.OverrideReasons);
    }

    [Fact]
    public async Task AbsurdCountsAreClampedInsteadOfOverflowing()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.1", long.MaxValue, Spf: [("example.com", "pass")]),
            new("192.0.2.2", long.MaxValue, Spf: [("example.com", "pass")]),
            new("192.0.2.3", -5, DkimEval: "fail", SpfEval: "fail"),
        ]);

        var d = Assert.Single((await Analyzer().AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken)).Domains);

        Assert.Equal(2 * RecordQueries.MaxCount, d.Total.Volume);
        Assert.Equal(1.0, d.Total.DmarcPassRate!.Value, 10);
        Assert.Equal("pass", Assert.Single(d.SpfResults).Name);
    }

    [Fact]
    public void BadKnownSenderRangesAreRefusedWithThePath()
    {
        var e = Assert.Throws<FormatException>(() => Known(("relays", ["192.0.2.0/33"], [])));
        Assert.Contains("192.0.2.0/33", e.Message);
    }
}
