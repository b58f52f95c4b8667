using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Analysis.Enrichment;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Storage;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Tests.Analysis.Enrichment;

public sealed class EnrichedAnalysisTests : IDisposable
{
    private static readonly DateOnly Monday = new(2026, 2, 16);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static async Task FillAsync(TestStore store) =>
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.1", 900),
            new("198.51.100.7", 60, DkimEval: "fail", SpfEval: "fail"),
            new("203.0.113.9", 40, DkimEval: "fail", SpfEval: "fail"),
        ]);

    /// <summary>A catalogue where AS64500 is a marketing service and AS64501 a hosting network.</summary>
    private ServiceCatalogue Catalogue()
    {
        var path = _folder.File("services.tsv");
        File.WriteAllLines(path,
        [
            "asn\t64500\tExample Mail Co\tmarketing\ttest",
            "asn\t64501\tExample Hosting\thosting\ttest",
        ]);
        return ServiceCatalogue.Load(path);
    }

    private static Task<ReportAnalysis> AnalyzeAsync(TestStore store, SourceEnricher? enricher, KnownSenders? known = null) =>
        new StoreAnalyzer(known ?? KnownSenders.None, new ReverseDnsNames(null, TimeProvider.System), BaseDomain.Heuristic, enricher)
            .AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);

    [Fact]
    public async Task SourcesCarryServiceNetworkAndCountry()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);
        using var databases = await NetworkDatabaseTests.OpenAsync(_folder);

        var d = Assert.Single((await AnalyzeAsync(store, new SourceEnricher(databases, Catalogue()))).Domains);

        var esp = d.Sources.Single(s => s.Ip == "198.51.100.7");
        Assert.Equal("Example Mail Co", esp.Sender);
        Assert.Equal(ServiceType.Marketing, esp.Service?.Type);
        Assert.Equal(new NetworkFacts(64500, "Example Mail Co", "DE"), esp.Network);
        var hosted = d.Sources.Single(s => s.Ip == "203.0.113.9");
        Assert.Equal("203.0.113.9", hosted.Sender);
        Assert.Equal(ServiceType.Hosting, hosted.Service?.Type);
        Assert.Equal(NetworkFacts.None, d.Sources.Single(s => s.Ip == "192.0.2.1").Network);
    }

    [Fact]
    public async Task AKnownServiceNotAuthorisedIsItsOwnClassAndLegitimateAtRisk()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);
        using var databases = await NetworkDatabaseTests.OpenAsync(_folder);

        var d = Assert.Single((await AnalyzeAsync(store, new SourceEnricher(databases, Catalogue()))).Domains);

        Assert.Equal(60, d.Total.Of(SenderClass.KnownService));
        Assert.Equal(40, d.Total.Of(SenderClass.UnknownFailing));
        Assert.Equal(960, d.Total.Legitimate);
        Assert.Equal(60, d.Readiness.AtRisk);
        var fix = Assert.Single(d.Readiness.ToFix);
        Assert.Equal("Example Mail Co", fix.Name);
        Assert.StartsWith("Example Mail Co sends 6% of example.com's mail unaligned: set up a custom DKIM domain in Example Mail Co", fix.Advice);
    }

    [Fact]
    public async Task KnownSendersTakePrecedenceOverTheCatalogue()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);
        using var databases = await NetworkDatabaseTests.OpenAsync(_folder);
        var known = StoreAnalyzerTests.Known(("our newsletter", ["198.51.100.0/24"], []));

        var d = Assert.Single((await AnalyzeAsync(store, new SourceEnricher(databases, Catalogue()), known)).Domains);

        Assert.Equal(60, d.Total.Of(SenderClass.AuthorisedFailing));
        Assert.Equal(0, d.Total.Of(SenderClass.KnownService));
        Assert.Equal("our newsletter", d.Sources.Single(s => s.Ip == "198.51.100.7").Sender);
    }

    [Fact]
    public async Task LookupsAreCachedInTheStoreForTheDatabaseBuild()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);
        using var databases = await NetworkDatabaseTests.OpenAsync(_folder);
        var enricher = new SourceEnricher(databases, ServiceCatalogue.Empty);
        await AnalyzeAsync(store, enricher);

        await using (var edit = store.Db.CreateCommand())
        {
            // A cached answer is used as it is: change it and the next report shows the change.
            edit.CommandText = "UPDATE network_cache SET as_org = 'From the cache' WHERE ip = '198.51.100.7'";
            Assert.Equal(1, await edit.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
        }
        var d = Assert.Single((await AnalyzeAsync(store, enricher)).Domains);

        Assert.Equal("From the cache", d.Sources.Single(s => s.Ip == "198.51.100.7").Network.AsOrg);
        Assert.Equal(3, await CountAsync(store.Db, "SELECT count(*) FROM network_cache"));
    }

    [Fact]
    public async Task WithoutDatabasesTheReportIsAsBeforeAndTheCacheStaysEmpty()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);

        var d = Assert.Single((await AnalyzeAsync(store, new SourceEnricher(NetworkDatabases.None, ServiceCatalogue.BuiltIn))).Domains);

        Assert.All(d.Sources, s => Assert.Equal(NetworkFacts.None, s.Network));
        Assert.All(d.Sources, s => Assert.Null(s.Service));
        Assert.Equal(100, d.Total.Of(SenderClass.UnknownFailing));
        Assert.Equal(0, await CountAsync(store.Db, "SELECT count(*) FROM network_cache"));
    }

    [Fact]
    public async Task TheReportShowsTheEnrichedColumns()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);
        using var databases = await NetworkDatabaseTests.OpenAsync(_folder);
        var analysis = await AnalyzeAsync(store, new SourceEnricher(databases, Catalogue()));
        var output = Directory.CreateDirectory(_folder.File("out")).FullName;

        var written = await ReportWriter.WriteAsync(analysis, output, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);

        var csv = await File.ReadAllLinesAsync(Path.Combine(output, "sources.csv"), TestContext.Current.CancellationToken);
        Assert.StartsWith("domain,source_ip,ptr_name,base_domain,sender,service,service_type,asn,as_org,country,messages,", csv[0]);
        Assert.Contains(csv, l => l.StartsWith("example.com,198.51.100.7,,,Example Mail Co,Example Mail Co,marketing,64500,Example Mail Co,DE,60,", StringComparison.Ordinal));
        Assert.Contains(csv, l => l.StartsWith("example.com,192.0.2.1,,,192.0.2.1,,,,,,900,", StringComparison.Ordinal));
        var html = await File.ReadAllTextAsync(written.IndexPath, TestContext.Current.CancellationToken);
        Assert.Contains("<td data-label=\"service\">Example Mail Co (ESP/marketing)</td><td data-label=\"network (AS)\">AS64500 Example Mail Co</td><td data-label=\"country\">DE</td>", html);
        Assert.Contains("known service, not authorised", html);
    }

    [Fact]
    public async Task TheReportAndTheExportRecogniseAServiceByItsDkimSigningDomain()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", Monday,
        [
            // Unaligned: the service signs with its own domain only (a further signature, in record_dkim).
            new("192.0.2.20", 70, DkimEval: "fail", SpfEval: "fail", Dkim: [("example.com", "fail"), ("esp-mailer.example", "pass")]),
            // Aligned: the customer's signature and the service's own, the first in the record's row.
            new("192.0.2.21", 30, Dkim: [("esp-mailer.example", "pass"), ("example.com", "pass")]),
            // A failing signature of the service's domain says nothing.
            new("192.0.2.22", 5, DkimEval: "fail", SpfEval: "fail", Dkim: [("esp-mailer.example", "fail")]),
            // Nor does a passing signature of the From domain's own, however the catalogue lists it.
            new("192.0.2.23", 4, DkimEval: "fail", SpfEval: "fail", HeaderFrom: "mail.example.com", Dkim: [("example.com", "pass")]),
        ]);
        var path = _folder.File("services.tsv");
        File.WriteAllLines(path,
        [
            "dkim\tesp-mailer.example\tExample ESP\tmarketing\ttest",
            "dkim\texample.com\tExample itself\tmailbox\ttest",
        ]);
        var enricher = new SourceEnricher(NetworkDatabases.None, ServiceCatalogue.Load(path));

        var d = Assert.Single((await AnalyzeAsync(store, enricher)).Domains);

        var unaligned = d.Sources.Single(s => s.Ip == "192.0.2.20");
        Assert.Equal("Example ESP", unaligned.Sender);
        Assert.Equal(ServiceType.Marketing, unaligned.Service?.Type);
        Assert.Equal(70, d.Total.Of(SenderClass.KnownService));
        Assert.Equal("Example ESP", d.Sources.Single(s => s.Ip == "192.0.2.21").Service?.Name);
        Assert.Null(d.Sources.Single(s => s.Ip == "192.0.2.22").Service);
        Assert.Null(d.Sources.Single(s => s.Ip == "192.0.2.23").Service);
        Assert.StartsWith("Example ESP sends ", Assert.Single(d.Readiness.ToFix).Advice);

        var exported = new Dictionary<string, string?>();
        await foreach (var row in RecordEnrichment.EnrichAsync(new Dictionary<string, PtrCacheEntry>(), enricher,
                           new ExportQueries(store.Db).RecordsAsync(TestContext.Current.CancellationToken), TestContext.Current.CancellationToken))
            exported[row.SourceIp] = row.Service;
        Assert.Equal("Example ESP", exported["192.0.2.20"]);
        Assert.Equal("Example ESP", exported["192.0.2.21"]);
        Assert.Null(exported["192.0.2.22"]);
        Assert.Null(exported["192.0.2.23"]);
    }

    private static async Task<long> CountAsync(SqliteConnection db, string sql)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
