using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Auth;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>The record-changed (DMARC, SPF, DKIM selectors) and tls-failures rules: each fires on what calls for it and stays quiet otherwise.</summary>
public sealed class RecordAndTlsAlertTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static DateOnly Today => DateOnly.FromDateTime(Now.UtcDateTime);

    private static AlertSources Sources(TestStore store, IDnsResolver? dns) =>
        new(new SqliteAlertQueries(store.Db), new TlsReportQueries(store.Db), new PublishedRecordQueries(store.Db), dns);

    /// <summary>One run of <c>dmarc alert</c>: evaluate, then remember (as a run that is no dry run does); returns the new alerts.</summary>
    private static async Task<IReadOnlyList<Alert>> RunAsync(TestStore store, IDnsResolver? dns, AlertSettings? settings = null)
    {
        var sources = Sources(store, dns);
        var evaluation = await AlertRules.EvaluateAsync(sources, settings ?? AlertSettings.Default, [], Now, Ct);
        var news = await AlertState.NewAsync(sources.Alerts, evaluation.Firing, Ct);
        await AlertState.RecordAsync(sources, evaluation, Now, Ct);
        return news;
    }

    private static FakeDnsResolver Published(string dmarc, string spf = "v=spf1 ip4:192.0.2.0/24 -all") =>
        new FakeDnsResolver().Txt("_dmarc.example.com", dmarc).Txt("example.com", spf).Txt("example.com", "google-site-verification=abc");

    private static async Task<TestStore> StoreAsync()
    {
        var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Today.AddDays(-2), [new("192.0.2.1", 100)]);
        return store;
    }

    [Fact]
    public async Task AChangedDmarcRecordFiresOnceAndTheNextChangeFiresAgain()
    {
        await using var store = await StoreAsync();
        Assert.DoesNotContain(await RunAsync(store, Published("v=DMARC1; p=none")), a => a.Rule == AlertRule.RecordChanged);

        var changed = Assert.Single(await RunAsync(store, Published("v=DMARC1; p=quarantine")));
        Assert.Equal("alert: record-changed example.com: DMARC record changed from v=DMARC1; p=none to v=DMARC1; p=quarantine", changed.Line);
        Assert.Empty(await RunAsync(store, Published("v=DMARC1; p=quarantine")));

        var again = Assert.Single(await RunAsync(store, Published("v=DMARC1; p=reject")));
        Assert.Contains("from v=DMARC1; p=quarantine to v=DMARC1; p=reject", again.Text);
    }

    [Fact]
    public async Task ARemovedSpfRecordFires()
    {
        await using var store = await StoreAsync();
        await RunAsync(store, Published("v=DMARC1; p=none"));

        var removed = Assert.Single(await RunAsync(store, new FakeDnsResolver().Txt("_dmarc.example.com", "v=DMARC1; p=none")));
        Assert.Equal("alert: record-changed example.com: SPF record removed (it was: v=spf1 ip4:192.0.2.0/24 -all)", removed.Line);
    }

    [Fact]
    public async Task UnchangedRecordsOrDnsTroubleOrNoDnsDoNotFireAndTroubleKeepsTheLastSeen()
    {
        await using var store = await StoreAsync();
        Assert.Empty(await RunAsync(store, Published("v=DMARC1; p=none")));
        Assert.Empty(await RunAsync(store, Published("v=DMARC1; p=none")));
        Assert.Empty(await RunAsync(store, null));

        var trouble = new FakeDnsResolver().Failing("_dmarc.example.com").Failing("example.com");
        Assert.Empty(await RunAsync(store, trouble));
        Assert.Equal(["v=DMARC1; p=none", "v=spf1 ip4:192.0.2.0/24 -all"],
            (await new PublishedRecordQueries(store.Db).LastSeenAsync(Ct)).Select(r => r.Text));
        // After the trouble, the same records are no change.
        Assert.Empty(await RunAsync(store, Published("v=DMARC1; p=none")));
    }

    [Fact]
    public async Task AnSpfRecordOverTheLookupLimitFiresWhileItStaysBroken()
    {
        await using var store = await StoreAsync();
        var includes = string.Join(' ', Enumerable.Range(1, 11).Select(i => $"include:s{i}.example.net"));
        var dns = Published("v=DMARC1; p=none", $"v=spf1 {includes} -all");
        foreach (var i in Enumerable.Range(1, 11))
            dns.Txt($"s{i}.example.net", "v=spf1 ip4:198.51.100.0/24 -all");

        var broken = Assert.Single(await RunAsync(store, dns));
        Assert.Equal(AlertRule.RecordChanged, broken.Rule);
        Assert.StartsWith("the SPF record of example.com is broken: 11 DNS-querying terms", broken.Text);
        Assert.Empty(await RunAsync(store, dns));
    }

    [Fact]
    public async Task TwoDmarcRecordsFire()
    {
        await using var store = await StoreAsync();
        var dns = Published("v=DMARC1; p=none").Txt("_dmarc.example.com", "v=DMARC1; p=reject");

        var broken = Assert.Single(await RunAsync(store, dns));
        Assert.Equal("_dmarc.example.com has 2 DMARC records; receivers ignore them all (RFC 9989)", broken.Text);
    }

    [Fact]
    public async Task ADkimSelectorSeenPassingThatNoLongerResolvesFiresAndOneThatDoesNot()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Today.AddDays(-2), [new("192.0.2.1", 100, Dkim: [("example.com", "pass")])]);
        await using (var db = await Database.OpenAsync(store.DatabasePath, Ct))
        {
            await using var selectors = db.CreateCommand();
            selectors.CommandText = "UPDATE records SET dkim_selector = 'gone'";
            await selectors.ExecuteNonQueryAsync(Ct);
        }

        var alert = Assert.Single(await RunAsync(store, Published("v=DMARC1; p=none")));
        Assert.Equal("alert: record-changed example.com: DKIM selector gone._domainkey.example.com, seen passing in reports up to " +
                     $"{Today.AddDays(-2):yyyy-MM-dd}, now does not exist (NXDOMAIN); mail still signed with it fails DKIM", alert.Line);

        var usable = Published("v=DMARC1; p=none").Txt("gone._domainkey.example.com", "v=DKIM1; k=rsa; p=MIIBIjANBgkq");
        Assert.Empty(await RunAsync(store, usable));
        var revoked = Assert.Single(await RunAsync(store, Published("v=DMARC1; p=none").Txt("gone._domainkey.example.com", "v=DKIM1; p=")));
        Assert.EndsWith("now has no usable key: key revoked (empty p=); mail still signed with it fails DKIM", revoked.Text);
        Assert.Empty(await RunAsync(store, usable));
        var broken = Assert.Single(await RunAsync(store, Published("v=DMARC1; p=none").Txt("gone._domainkey.example.com", "v=DKIM1; k=dsa; p=MIIB")));
        Assert.EndsWith("now has no usable key: unknown key type k=dsa; mail still signed with it fails DKIM", broken.Text);
    }

    [Fact]
    public async Task TlsFailuresAboveTheThresholdOnADayFireOnce()
    {
        await using var store = await StoreAsync();
        await SyntheticReports.IngestAsync(store.DatabasePath,
            SyntheticReports.Tls("example.com", Today.AddDays(-3), 900, 4),
            SyntheticReports.Tls("example.com", Today.AddDays(-2), 950, 40));

        var alert = Assert.Single(await RunAsync(store, null));
        Assert.Equal($"alert: tls-failures example.com: 40 of 990 TLS sessions failed on {Today.AddDays(-2):yyyy-MM-dd} (threshold 10 a day); " +
                     "failures by result type: starttls-not-supported 44", alert.Line);
        await SyntheticReports.IngestAsync(store.DatabasePath, SyntheticReports.Tls("example.com", Today.AddDays(-1), 950, 50));
        Assert.Empty(await RunAsync(store, null));
    }

    [Fact]
    public async Task TlsFailuresWithinTheThresholdOrOldOrNotOursDoNotFire()
    {
        await using var store = await StoreAsync();
        await SyntheticReports.IngestAsync(store.DatabasePath,
            SyntheticReports.Tls("example.com", Today.AddDays(-2), 950, 10),
            SyntheticReports.Tls("example.com", Today.AddDays(-30), 0, 500),
            SyntheticReports.Tls("example.net", Today.AddDays(-2), 0, 500));

        Assert.Empty(await RunAsync(store, null, AlertSettings.Default with { Domains = ["example.com"] }));
    }
}
