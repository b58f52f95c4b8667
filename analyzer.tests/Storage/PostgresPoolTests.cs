using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Cli;
using Npgsql;

namespace DmarcAnalyzer.Tests.Storage;

public sealed partial class PostgresStoreTests
{
    // Long-running processes on PostgreSQL hold one pool for their life (StoreSource): the dashboard's requests take
    // connections from it instead of connecting again, and it is closed at shutdown.

    [Fact]
    public async Task AStoreSourceOpensItsStoresFromOnePoolAndClosesItWhenDisposed()
    {
        var url = await cluster.CreateDatabaseAsync();
        await using var source = new StoreSource(url);
        var backends = new HashSet<int>();
        for (var i = 0; i < 20; i++)
        {
            await using var store = await source.OpenAsync(Ct);
            await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", (NpgsqlConnection)store.Connection);
            backends.Add((int)(await command.ExecuteScalarAsync(Ct))!);
        }
        Assert.Single(backends);
        Assert.Equal(backends, await BackendsAsync(url));
        await source.DisposeAsync();
        Assert.Empty(await BackendsOnceGoneAsync(url));
    }

    [Fact]
    public async Task TheDashboardHoldsOnePoolForItsLifeAndClosesItAtShutdown()
    {
        var url = await cluster.CreateDatabaseAsync();
        Assert.Equal(0, (await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", url)).ExitCode);
        var clock = new Web.ManualClock(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero));
        await using (var store = await Store.OpenAsync(url, Ct))
            await store.Users.SaveAsync(Web.DashboardHarness.AdminName, UserRole.Admin, DmarcAnalyzer.Web.PasswordHash.Hash(Web.DashboardHarness.Password, 1000),
                clock.Now, Ct);
        var app = DmarcAnalyzer.Web.DashboardServer.Build(new DmarcAnalyzer.Web.ServeOptions("http://127.0.0.1:0", url, DmarcAnalyzer.Analysis.KnownSenders.None)
        {
            Time = clock,
            KeysFolder = _folder.File("keys"),
        });
        await app.StartAsync(Ct);
        try
        {
            using var admin = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), AllowAutoRedirect = false })
            {
                BaseAddress = new Uri(DmarcAnalyzer.Web.DashboardServer.Addresses(app).Single()),
            };
            Assert.Equal(System.Net.HttpStatusCode.Redirect,
                (await Web.DashboardHarness.SignInAsync(admin, Web.DashboardHarness.AdminName, Web.DashboardHarness.Password)).StatusCode);
            string[] pages = ["/", "/domain/example.com", "/source/192.0.2.1", "/search?q=example.com", "/report/1", "/inbound", "/tls",
                "/failures", "/failure-reports", "/exceptions", "/senders", "/users", "/audit"];
            async Task VisitAsync(int rounds)
            {
                for (var i = 0; i < rounds; i++)
                    foreach (var page in pages)
                        Assert.True((await admin.GetAsync(page, Ct)).StatusCode is System.Net.HttpStatusCode.OK or System.Net.HttpStatusCode.NotFound, page);
            }
            await VisitAsync(2);
            var pooled = await BackendsAsync(url);
            await VisitAsync(10);
            // The pool's connections stay between requests and serve the later ones: no page connects again.
            Assert.NotEmpty(pooled);
            Assert.Subset(pooled, await BackendsAsync(url));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
        Assert.Empty(await BackendsOnceGoneAsync(url));
    }

    /// <summary>The server's sessions on the database of <paramref name="url"/> but the one asking.</summary>
    private static async Task<HashSet<int>> BackendsAsync(string url)
    {
        var settings = StoreLocation.Postgres(url);
        settings.Pooling = false;
        await using var connection = new NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var pids = new HashSet<int>();
        while (await reader.ReadAsync(Ct))
            pids.Add(reader.GetInt32(0));
        return pids;
    }

    /// <summary>The sessions left once those just closed have ended: a backend exits after its client has gone.</summary>
    private static async Task<HashSet<int>> BackendsOnceGoneAsync(string url)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await BackendsAsync(url) is { Count: 0 } none)
                return none;
            await Task.Delay(100, Ct);
        }
        return await BackendsAsync(url);
    }
}
