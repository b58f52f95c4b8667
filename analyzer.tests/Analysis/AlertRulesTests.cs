using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Cli;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>Each alert rule fires on a store that calls for it and stays quiet on one that does not; alerts fire once.</summary>
public sealed class AlertRulesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static DateOnly Today => DateOnly.FromDateTime(Now.UtcDateTime);

    private static async Task<IReadOnlyList<Alert>> EvaluateAsync(TestStore store, DateTimeOffset? now = null, AlertSettings? settings = null,
        IReadOnlyList<ExpiringException>? exceptions = null) =>
        (await AlertRules.EvaluateAsync(Sources(store), settings ?? AlertSettings.Default, exceptions ?? [], now ?? Now, Ct)).Firing;

    private static AlertSources Sources(TestStore store, IDnsResolver? dns = null) =>
        new(new StoreAlertQueries(store.Db), new TlsReportQueries(store.Db), new PublishedRecordQueries(store.Db), dns);

    private static TestRecord Failing(string ip, long count) => new(ip, count, DkimEval: "fail", SpfEval: "fail");

    [Fact]
    public async Task NewFailingSourceAboveTheThresholdFires()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Today.AddDays(-1), [new("192.0.2.1", 500), Failing("203.0.113.9", 150)]);

        var alert = Assert.Single(await EvaluateAsync(store), a => a.Rule == AlertRule.NewSource);
        Assert.Equal("example.com", alert.Domain);
        Assert.StartsWith("alert: new-source example.com: new source 203.0.113.9 sent 150 messages failing DMARC", alert.Line);
    }

    [Fact]
    public async Task NewSourceBelowTheThresholdOrSeenBeforeOrNotOursDoesNotFire()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Today.AddDays(-20), [Failing("198.51.100.7", 3)]);
        await store.AddReportAsync("example.com", Today.AddDays(-1), [Failing("198.51.100.7", 400), Failing("203.0.113.9", 100)]);
        await store.AddReportAsync("example.net", Today.AddDays(-1), [Failing("203.0.113.10", 400)]);

        var alerts = await EvaluateAsync(store, settings: AlertSettings.Default with { Domains = ["example.com"] });

        Assert.DoesNotContain(alerts, a => a.Rule == AlertRule.NewSource);
    }

    [Fact]
    public async Task PassRateDropOfMoreThanTheThresholdFires()
    {
        await using var store = await TestStore.CreateAsync();
        var last = IsoWeek.Of(Today.AddDays(-7));
        await store.AddReportAsync("example.com", last.Monday.AddDays(-7), [new("192.0.2.1", 980), Failing("192.0.2.2", 20)]);
        await store.AddReportAsync("example.com", last.Monday, [new("192.0.2.1", 900), Failing("192.0.2.2", 100)]);

        var alert = Assert.Single(await EvaluateAsync(store), a => a.Rule == AlertRule.PassRateDrop);
        Assert.Equal($"DMARC pass rate 90.0% in {last}, down 8.0 points from 98.0% in {IsoWeek.Of(last.Monday.AddDays(-7))}", alert.Text);
    }

    [Fact]
    public async Task PassRateDropWithinTheThresholdDoesNotFire()
    {
        await using var store = await TestStore.CreateAsync();
        var last = IsoWeek.Of(Today.AddDays(-7));
        await store.AddReportAsync("example.com", last.Monday.AddDays(-7), [new("192.0.2.1", 980), Failing("192.0.2.2", 20)]);
        await store.AddReportAsync("example.com", last.Monday, [new("192.0.2.1", 940), Failing("192.0.2.2", 60)]);

        Assert.DoesNotContain(await EvaluateAsync(store), a => a.Rule == AlertRule.PassRateDrop);
    }

    [Fact]
    public async Task ExceptionExpiringWithinFourteenDaysFires()
    {
        await using var store = await TestStore.CreateAsync();
        var alerts = await EvaluateAsync(store, exceptions:
        [
            new("partner@example.net", null, Today.AddDays(10)),
            new("later@example.org", null, Today.AddDays(30)),
            new("gone@example.org", null, Today.AddDays(-1)),
        ]);

        var alert = Assert.Single(alerts);
        Assert.Equal(AlertRule.ExceptionExpiring, alert.Rule);
        Assert.Equal("example.net", alert.Domain);
        Assert.Contains("expires on", alert.Text);
    }

    [Fact]
    public async Task SilenceFiresWhenNoReportArrivedForTheConfiguredDays()
    {
        await using var store = await TestStore.CreateAsync();
        Assert.Empty(await EvaluateAsync(store, Now.AddDays(10)));
        await store.AddReportAsync("example.com", Today.AddDays(-30), [new("192.0.2.1", 10)]);

        Assert.DoesNotContain(await EvaluateAsync(store, Now.AddDays(1)), a => a.Rule == AlertRule.Silence);
        var alert = Assert.Single(await EvaluateAsync(store, Now.AddDays(4)), a => a.Rule == AlertRule.Silence);
        Assert.StartsWith("alert: silence *: no aggregate report stored since", alert.Line);
    }

    [Fact]
    public async Task AnAlertFiresOnceAndAgainOnlyAfterItCleared()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Today.AddDays(-30), [new("192.0.2.1", 10)]);
        var silent = await EvaluateAsync(store, Now.AddDays(4));

        var state = new StoreAlertQueries(store.Db);
        Assert.Single(await AlertState.NewAsync(state, silent, Ct));
        await AlertState.RecordAsync(Sources(store), new AlertEvaluation(silent, []), Now, Ct);
        Assert.Empty(await AlertState.NewAsync(state, silent, Ct));

        await AlertState.RecordAsync(Sources(store), new AlertEvaluation([], []), Now, Ct);
        Assert.Single(await AlertState.NewAsync(state, silent, Ct));
    }

    [Fact]
    public async Task DryRunPrintsTheContractLinesAndRecordsNothing()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Today.AddDays(-1), [Failing("203.0.113.9", 150)]);

        for (var run = 0; run < 2; run++)
        {
            var result = await DmarcProcess.RunAsync(Path.GetDirectoryName(store.DatabasePath)!, "alert", "--db", store.DatabasePath, "--dry-run", "--offline");
            Assert.Equal(ExitCodes.Ok, result.ExitCode);
            Assert.Contains("alert: new-source example.com: new source 203.0.113.9 sent 150 messages failing DMARC", result.Stdout);
        }
    }
}
