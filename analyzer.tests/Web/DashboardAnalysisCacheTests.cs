using System.Net;
using System.Text.Json;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Analysis;
using DmarcAnalyzer.Web;
using Microsoft.Extensions.DependencyInjection;

namespace DmarcAnalyzer.Tests.Web;

/// <summary>
/// The overview's and domain pages' analyses kept between requests (<see cref="AnalysisCache"/>): a repeated page is
/// not computed again, every write the analysis reads shows on the next request after the background computation
/// (awaited through <see cref="AnalysisCache.IdleAsync"/>, never by sleeping), stale figures are marked as updating.
/// </summary>
public sealed class DashboardAnalysisCacheTests
{
    private static readonly DateOnly Monday = new(2026, 2, 16);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task Fill(TestStore store)
    {
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.1", 900, Dkim: [("example.com", "pass")], Spf: [("example.com", "pass")]),
            new("198.51.100.7", 100, DkimEval: "fail", SpfEval: "fail", Dkim: [("spoof.example", "fail")]),
        ], org: "google.com");
        await store.AddReportAsync("example.com", Monday.AddDays(7), [new("192.0.2.1", 500)], org: "yahoo.com");
        await store.AddReportAsync("example.org", Monday.AddDays(7),
            [new("203.0.113.5", 40, DkimEval: "fail", SpfEval: "fail"), new("192.0.2.1", 60)], org: "yahoo.com");
    }

    private static AnalysisCache Cache(DashboardHarness server) => server.App.Services.GetRequiredService<AnalysisCache>();

    [Fact]
    public async Task TheDefaultOverviewIsComputedAtStartAndARepeatedPageIsNotComputedAgain()
    {
        await using var server = await DashboardHarness.StartAsync(fill: Fill);
        var cache = Cache(server);
        await cache.IdleAsync();
        Assert.Equal(1, cache.Computations);
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        using var admin = await server.SignedInAsync(DashboardHarness.AdminName);

        Assert.Contains("1,500", await viewer.GetStringAsync("/", Ct));
        Assert.Contains("1,500", await viewer.GetStringAsync("/", Ct));
        Assert.Contains("1,500", await admin.GetStringAsync("/", Ct));
        // A domain of the overview comes out of it.
        Assert.Contains("<h1>example.org</h1>", await viewer.GetStringAsync("/domain/example.org", Ct));
        Assert.Contains("<h1>example.com</h1>", await admin.GetStringAsync("/domain/Example.COM", Ct));
        Assert.Equal(1, cache.Computations);

        var week = "/domain/example.com?from=2026-02-16&to=2026-02-16";
        Assert.Contains("1,000", await viewer.GetStringAsync(week, Ct));
        Assert.Equal(2, cache.Computations);
        Assert.Contains("1,000", await admin.GetStringAsync(week, Ct));
        Assert.Contains("1,000", await viewer.GetStringAsync(week, Ct));
        Assert.Equal(2, cache.Computations);
        Assert.DoesNotContain("updating", await viewer.GetStringAsync(week, Ct));
    }

    [Fact]
    public async Task ADomainTakenFromTheOverviewIsWhatItsOwnAnalysisGives()
    {
        await using var server = await DashboardHarness.StartAsync(fill: Fill);
        var cache = Cache(server);
        await cache.IdleAsync();
        await using var store = await Store.OpenAsync(server.Store.DatabasePath, Ct);
        foreach (var domain in new[] { "example.com", "example.org" })
        {
            var served = await cache.GetAsync(store, ReportPeriod.All, domain, Ct);
            var own = await PageAnalysis.Analyzer(server.App.Services.GetRequiredService<ServeOptions>(), [])
                .AnalyzeAsync(store.Records, ReportPeriod.All, domain, Ct);
            Assert.Equal(JsonSerializer.Serialize(own), JsonSerializer.Serialize(served.Analysis));
        }
        Assert.Equal(1, cache.Computations);
    }

    [Fact]
    public async Task AReportIngestedShowsAfterTheUpdateAndTheOldFiguresAreMarkedMeanwhile()
    {
        await using var server = await DashboardHarness.StartAsync(fill: Fill);
        var cache = Cache(server);
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        Assert.Contains("<td>1,500</td>", await viewer.GetStringAsync("/", Ct));
        Assert.Contains("<td>1,500</td>", await viewer.GetStringAsync("/domain/example.com", Ct));

        await server.Store.AddReportAsync("example.com", Monday.AddDays(8), [new("192.0.2.1", 300)], org: "google.com");
        var stale = await viewer.GetStringAsync("/", Ct);
        Assert.Contains("<td>1,500</td>", stale);
        Assert.Contains("<p class=\"muted updating\" role=\"status\">Figures as of 2026-03-02 12:00 UTC, updating.</p>", stale);
        // The domain's own figures are not taken from a stale overview: it waits for its first computation.
        Assert.Contains("<td>1,800</td>", await viewer.GetStringAsync("/domain/example.com", Ct));

        await cache.IdleAsync();
        var updated = await viewer.GetStringAsync("/", Ct);
        Assert.Contains("<td>1,800</td>", updated);
        Assert.DoesNotContain("updating", updated);
    }

    [Fact]
    public async Task AKnownSenderMarkedShowsAfterTheUpdate()
    {
        await using var server = await DashboardHarness.StartAsync(fill: Fill);
        var cache = Cache(server);
        using var admin = await server.SignedInAsync(DashboardHarness.AdminName);
        // A period of its own: the default one's domains come out of the overview, and its first computation is awaited.
        const string domainPage = "/domain/example.com?from=2026-02-01";
        Assert.Contains("<td>198.51.100.7</td><td>no</td>", await admin.GetStringAsync(domainPage, Ct));

        var marked = await DashboardHarness.PostFormAsync(admin, "/senders", "/senders", new() { ["name"] = "partner", ["value"] = "198.51.100.7" });
        Assert.Equal(HttpStatusCode.Redirect, marked.StatusCode);
        Assert.Contains("updating", await admin.GetStringAsync(domainPage, Ct));
        await cache.IdleAsync();
        var page = await admin.GetStringAsync(domainPage, Ct);
        Assert.Contains("<td>partner</td><td>yes</td>", page);
        Assert.DoesNotContain("updating", page);

        // Removed again: the list differs although its size is back where it was.
        var partner = Assert.Single(await new KnownSenderQueries(server.Store.Db).ListAsync(Ct));
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.PostFormAsync(admin, "/senders", $"/senders/{partner.Id}/remove", [])).StatusCode);
        Assert.Contains("updating", await admin.GetStringAsync(domainPage, Ct));
        await cache.IdleAsync();
        Assert.Contains("<td>198.51.100.7</td><td>no</td>", await admin.GetStringAsync(domainPage, Ct));
    }

    [Fact]
    public async Task ANameCachedShowsAfterTheUpdate()
    {
        await using var server = await DashboardHarness.StartAsync(fill: Fill);
        var cache = Cache(server);
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        const string domainPage = "/domain/example.com?from=2026-02-01";
        Assert.DoesNotContain("relay.example.com", await viewer.GetStringAsync(domainPage, Ct));

        await server.Store.Records.SavePtrNamesAsync([new PtrCacheEntry("192.0.2.1", "relay.example.com", server.Clock.Now.ToUnixTimeSeconds())], Ct);
        Assert.Contains("updating", await viewer.GetStringAsync(domainPage, Ct));
        await cache.IdleAsync();
        Assert.Contains("<td>relay.example.com</td>", await viewer.GetStringAsync(domainPage, Ct));
    }

    [Fact]
    public async Task PrunedRecordsShowAfterTheUpdate()
    {
        await using var server = await DashboardHarness.StartAsync(fill: Fill);
        var cache = Cache(server);
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        Assert.Contains("<td>1,500</td>", await viewer.GetStringAsync("/", Ct));

        await using (var store = await Store.OpenAsync(server.Store.DatabasePath, Ct))
            await Retention.PruneAsync(store, new DateTimeOffset(2026, 2, 20, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), Ct);
        Assert.Contains("updating", await viewer.GetStringAsync("/", Ct));
        await cache.IdleAsync();
        Assert.Contains("<td>500</td>", await viewer.GetStringAsync("/", Ct));
    }

    [Fact]
    public async Task FiguresOlderThanTheMaximumAgeAreBroughtUpToDate()
    {
        await using var server = await DashboardHarness.StartAsync(fill: Fill);
        var cache = Cache(server);
        await cache.IdleAsync();
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        Assert.DoesNotContain("updating", await viewer.GetStringAsync("/", Ct));
        server.Clock.Now += AnalysisCache.MaxAge;
        Assert.Contains("updating", await viewer.GetStringAsync("/", Ct));
        await cache.IdleAsync();
        Assert.Equal(2, cache.Computations);
        Assert.DoesNotContain("updating", await viewer.GetStringAsync("/", Ct));
    }

    [Fact]
    public async Task AnExceptionApprovedShowsOnTheNextRequest()
    {
        await using var server = await DashboardHarness.StartAsync(fill: Fill);
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        using var admin = await server.SignedInAsync(DashboardHarness.AdminName);
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.PostFormAsync(viewer, "/exceptions", "/exceptions",
            new() { ["sender"] = "billing@partner.example", ["reason"] = "encrypted invoices" })).StatusCode);
        Assert.Contains("1 exception request waiting", await admin.GetStringAsync("/", Ct));

        var row = Assert.Single(await new ArchiveExceptionQueries(server.Store.Db).ListAsync(Ct));
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.PostFormAsync(admin, "/exceptions", $"/exceptions/{row.Id}/approve",
            new() { ["expires"] = "2026-06-30" })).StatusCode);
        var overview = await admin.GetStringAsync("/", Ct);
        Assert.DoesNotContain("exception request", overview);
        Assert.DoesNotContain("updating", overview);
    }

    [Fact]
    public async Task TheSourcePageSumsTheNewestRecordsAndSaysSoWhenThereAreMore()
    {
        await using var server = await DashboardHarness.StartAsync(fill: async store =>
        {
            await Fill(store);
            await store.AddReportAsync("example.com", Monday.AddDays(9),
                Enumerable.Range(0, SourceQueries.MaxRecords).Select(_ => new TestRecord("192.0.2.9", 2)), org: "google.com");
            await store.AddReportAsync("example.com", Monday.AddDays(9), [new TestRecord("198.51.100.9", 3, DkimEval: "fail",
                Dkim: [("one.example", "pass"), ("two.example", "fail")], Spf: [("one.example", "pass"), ("bounce.example", "softfail")])]);
        });
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        var few = await viewer.GetStringAsync("/source/192.0.2.1", Ct);
        Assert.Contains("<dd>1,460, DMARC pass 1,460</dd>", few);
        Assert.Contains("<dd>2026-02-16 to 2026-02-23</dd>", few);
        Assert.DoesNotContain("are summed here", few);
        // A record's further DKIM and SPF results (beyond the first, in its own row) are counted too.
        var signed = await viewer.GetStringAsync("/source/198.51.100.9", Ct);
        Assert.Contains("<td>one.example</td><td>—</td><td>pass</td><td>3</td>", signed);
        Assert.Contains("<td>two.example</td><td>—</td><td>fail</td><td>3</td>", signed);
        Assert.Contains("<td>bounce.example</td><td>—</td><td>softfail</td><td>3</td>", signed);

        await server.Store.AddReportAsync("example.com", Monday.AddDays(10), [new("192.0.2.9", 7)], org: "yahoo.com");
        var many = await viewer.GetStringAsync("/source/192.0.2.9", Ct);
        // The newest 5,000: the later report's 7 and 4,999 of the earlier report's records of 2.
        Assert.Contains($"<dd>{7 + (SourceQueries.MaxRecords - 1) * 2:#,0}, DMARC pass", many);
        Assert.Contains($"Its newest {SourceQueries.MaxRecords:#,0} records in the period are summed here", many);
        Assert.Contains("<dd>2026-02-25 to 2026-02-26</dd>", many);
    }
}
