using System.Text.RegularExpressions;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Cli;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DmarcAnalyzer.Tests.Storage;

/// <summary>
/// The PostgreSQL store against a private cluster (<see cref="PostgresCluster"/>), beside the SQLite store on the same
/// inputs: the same schema, the same rows read back, exactly once across processes, the milter's verdicts through a
/// server restart, db copy both ways, retention.
/// </summary>
public sealed partial class PostgresStoreTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>, IDisposable
{
    private readonly TempFolder _folder = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly string Samples = Path.Combine(Corpus.RepoRoot, "samples", "rua");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    [Fact]
    public async Task BothDialectsHaveTheSameTablesAndColumns()
    {
        var url = await cluster.CreateDatabaseAsync();
        await using var sqlite = await Store.OpenAsync(_folder.File("dmarc.db"), Ct);
        await using var postgres = await Store.OpenAsync(url, Ct);

        var onSqlite = await ColumnsAsync(sqlite.Connection, "SELECT m.name, p.name FROM sqlite_schema m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'");
        var onPostgres = await ColumnsAsync(postgres.Connection,
            """
            SELECT c.table_name, c.column_name FROM information_schema.columns c
              JOIN pg_class t ON t.relname = c.table_name AND t.relnamespace = current_schema()::regnamespace
             WHERE c.table_schema = current_schema() AND t.relkind IN ('r', 'p') AND NOT t.relispartition AND c.table_name <> 'dmarc_schema'
            """);
        // The side tables have an id on PostgreSQL where SQLite orders by rowid; records and the rows hanging off them
        // carry their month, the key of their partitions.
        onPostgres.ExceptWith(["record_reasons.id", "record_dkim.id", "record_spf.id",
            "records.month", "record_reasons.month", "record_dkim.month", "record_spf.month"]);
        Assert.Equal(onSqlite.Order(), onPostgres.Order());
        Assert.Equal(StoreCopy.Tables.Order(), onSqlite.Select(c => c.Split('.')[0]).Distinct().Order());
    }

    [Fact]
    public async Task StoresOpenedAtOnceMigrateOnce()
    {
        var url = await cluster.CreateDatabaseAsync();
        var stores = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Store.OpenAsync(url, Ct), Ct)));
        foreach (var store in stores)
            await store.DisposeAsync();
        await using var connection = new NpgsqlConnection(StoreLocation.Postgres(url).ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT version FROM dmarc_schema", connection);
        Assert.Equal(Schema.Migrations.Count, Convert.ToInt32(await command.ExecuteScalarAsync(Ct)));
    }

    [Fact]
    public async Task TheSamplesReadBackAsFromSqlite()
    {
        var url = await cluster.CreateDatabaseAsync();
        var file = _folder.File("dmarc.db");
        var onSqlite = await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", file);
        var onPostgres = await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", url);
        Assert.Equal(0, onSqlite.ExitCode);
        Assert.True(onPostgres.ExitCode == 0, onPostgres.Stderr);
        Assert.Equal(onSqlite.LastLine, onPostgres.LastLine);

        Assert.Equal(await ExportAsync(file, "records"), await ExportAsync(url, "records"));
        await using var sqlite = await Store.OpenAsync(file, Ct);
        await using var postgres = await Store.OpenAsync(url, Ct);
        Assert.Equal(await VisitedAsync(sqlite.Records), await VisitedAsync(postgres.Records));
        var all = new RecordFilter(null, 0, long.MaxValue);
        Assert.Equal(Counts(await sqlite.Records.ResultCountsAsync(all, Ct)), Counts(await postgres.Records.ResultCountsAsync(all, Ct)));
        Assert.Equal((await sqlite.Records.ReportsAsync(all, Ct)).Count, (await postgres.Records.ReportsAsync(all, Ct)).Count);
    }

    [Fact]
    public async Task TwoProcessesIngestingTheSameFilesStoreEachReportOnce()
    {
        var url = await cluster.CreateDatabaseAsync();
        var runs = await Task.WhenAll(
            DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", url),
            DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", url));
        var alone = await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", _folder.File("alone.db"));
        var total = Summary(alone.LastLine).New;

        foreach (var run in runs)
        {
            Assert.True(run.ExitCode == 0, run.Stderr);
            var (added, duplicate) = Summary(run.LastLine);
            Assert.Equal(total, added + duplicate);
        }
        Assert.Equal(total, runs.Sum(r => Summary(r.LastLine).New));
        await using var store = await Store.OpenAsync(url, Ct);
        Assert.Equal(total, (await store.Records.ReportsAsync(new RecordFilter(null, 0, long.MaxValue), Ct)).Count);
    }

    [Fact]
    public async Task TheMilterVerdictQueueOutlivesTheServerStoppedAndStarted()
    {
        var url = await cluster.CreateDatabaseAsync();
        var log = new VerdictLog(ct => Store.OpenAsync(url, ct), capacity: 10_000, batchSize: 50, NullLogger<VerdictLog>.Instance);
        using var stop = new CancellationTokenSource();
        var writer = log.RunAsync(stop.Token);
        for (var i = 0; i < 300; i++)
            log.Add(Verdict(i));
        await WaitForAsync(() => log.Written == 300);

        await cluster.StopAsync();
        try
        {
            for (var i = 300; i < 600; i++)
                log.Add(Verdict(i));
            // Adding never waits for the store: the queue holds what the server cannot take.
            await Task.Delay(TimeSpan.FromSeconds(3), Ct);
            Assert.Equal(300, log.Written);
        }
        finally
        {
            await cluster.StartAsync();
        }
        await WaitForAsync(() => log.Written == 600);
        await stop.CancelAsync();
        await writer;

        Assert.Equal(0, log.Dropped);
        await using var connection = new NpgsqlConnection(StoreLocation.Postgres(url).ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(*), count(DISTINCT queue_id) FROM verdicts", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal((600L, 600L), (reader.GetInt64(0), reader.GetInt64(1)));
    }

    [Fact]
    public async Task TwoMiltersShareTheExceptionsAndTheVerdictLogWhileAPollerIngestsAndTheReportReads()
    {
        var url = await cluster.CreateDatabaseAsync();
        await using (var store = await Store.OpenAsync(url, Ct))
        {
            var id = await store.ArchiveExceptions.RequestAsync("partner.example", null, "encrypted invoices", "alice", DateTimeOffset.UtcNow, Ct);
            Assert.True(await store.ArchiveExceptions.DecideAsync(id, ExceptionState.Approved, null, "admin", DateTimeOffset.UtcNow, Ct));
        }
        var config = _folder.File("dmarc.json");
        await File.WriteAllTextAsync(config, """{ "Filter": { "Exceptions": [] }, "Dns": { "Offline": true } }""", Ct);
        var ports = new[] { Milter.MilterCommandTests.FreePort(), Milter.MilterCommandTests.FreePort() };
        var milters = ports.Select(port => System.Diagnostics.Process.Start(
            DmarcProcess.StartInfo(_folder.Path, "milter", "--listen", $"inet:127.0.0.1:{port}", "--config", config, "--db", url))!).ToList();
        var errors = milters.Select(m => m.StandardError.ReadToEndAsync(Ct)).ToList();
        try
        {
            // Each milter reads the store's approved exceptions just after it starts listening: until then it rejects.
            long sent = 0, accepted = 0;
            foreach (var port in ports)
            {
                await Milter.MilterCommandTests.WaitForPortAsync(port);
                await RetryAsync(async () =>
                {
                    sent++;
                    return await Milter.MilterCommandTests.SendEncryptedZipAsync(port) == 'a';
                });
                accepted++;
            }
            var poller = DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", url);
            const int PerMilter = 20;
            for (var i = 0; i < PerMilter; i++)
            {
                foreach (var port in ports)
                    Assert.Equal('a', await Milter.MilterCommandTests.SendEncryptedZipAsync(port));
            }
            sent += 2 * PerMilter;
            accepted += 2 * PerMilter;
            var report = await DmarcProcess.RunAsync(_folder.Path, "report", "--from", "2020-01-01", "--to", "2030-12-31", "--no-dns",
                "--db", url, "--out", _folder.File("report"));
            Assert.True(report.ExitCode == 0, report.Stderr);
            Assert.True((await poller).ExitCode == 0);

            foreach (var milter in milters)
                await Milter.MilterCommandTests.SignalAsync(milter.Id, "TERM");
            for (var i = 0; i < milters.Count; i++)
            {
                await milters[i].WaitForExitAsync(Ct);
                Assert.True(milters[i].ExitCode == 0, await errors[i]);
            }

            await using var connection = new NpgsqlConnection(StoreLocation.Postgres(url).ConnectionString);
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand(
                "SELECT count(*), count(*) FILTER (WHERE action = 'accept' AND exception_used IS NOT NULL) FROM verdicts", connection);
            await using var reader = await command.ExecuteReaderAsync(Ct);
            Assert.True(await reader.ReadAsync(Ct));
            Assert.Equal((sent, accepted), (reader.GetInt64(0), reader.GetInt64(1)));
        }
        finally
        {
            foreach (var milter in milters)
            {
                if (!milter.HasExited)
                    milter.Kill();
                milter.Dispose();
            }
        }
    }

    [Fact]
    public async Task DbCopyRoundTripsTheSamplesStore()
    {
        var url = await cluster.CreateDatabaseAsync();
        var first = _folder.File("first.db");
        var back = _folder.File("back.db");
        Assert.Equal(0, (await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", first)).ExitCode);

        var there = await DmarcProcess.RunAsync(_folder.Path, "db", "copy", "--from", first, "--to", url);
        Assert.True(there.ExitCode == 0, there.Stdout + there.Stderr);
        Assert.EndsWith("all verified", there.LastLine);
        Assert.Matches(@"^records: [1-9][0-9]* rows copied, [0-9]+ in the target, verified$", there.Stdout.Split('\n').Single(l => l.StartsWith("records:")));
        var again = await DmarcProcess.RunAsync(_folder.Path, "db", "copy", "--from", first, "--to", url);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("not empty", again.Stderr);

        var home = await DmarcProcess.RunAsync(_folder.Path, "db", "copy", "--from", url, "--to", back);
        Assert.True(home.ExitCode == 0, home.Stdout + home.Stderr);
        Assert.Equal(await ExportAsync(first, "records"), await ExportAsync(back, "records"));
        Assert.Equal(await ExportAsync(first, "reports"), await ExportAsync(back, "reports"));
        Assert.Equal(await ExportAsync(first, "reports"), await ExportAsync(url, "reports"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PruneOlderThanDeletesRecordsAndKeepsTheReportsSummaries(bool postgres)
    {
        var database = postgres ? await cluster.CreateDatabaseAsync() : _folder.File("dmarc.db");
        Assert.Equal(0, (await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", database)).ExitCode);
        var all = new RecordFilter(null, 0, long.MaxValue);
        int reports;
        int counts;
        await using (var store = await Store.OpenAsync(database, Ct))
        {
            reports = (await store.Records.ReportsAsync(all, Ct)).Count;
            counts = (await store.Records.ResultCountsAsync(all, Ct)).Count;
        }

        var kept = await DmarcProcess.RunAsync(_folder.Path, "prune", "--older-than", "100000d", "--db", database);
        Assert.True(kept.ExitCode == 0, kept.Stderr);
        Assert.Matches("^pruned before .*: 0 records, 0 raw reports, 0 verdicts, 0 unreadable inputs$", kept.LastLine);
        var pruned = await DmarcProcess.RunAsync(_folder.Path, "prune", "--older-than", "0d", "--db", database);
        Assert.True(pruned.ExitCode == 0, pruned.Stderr);
        Assert.Matches($"^pruned before .*: [1-9][0-9]* records, {reports} raw reports, 0 verdicts, 0 unreadable inputs$", pruned.LastLine);

        await using var after = await Store.OpenAsync(database, Ct);
        Assert.Empty(await after.Export.RecordsAsync(Ct).ToListAsync(Ct));
        Assert.Equal(reports, (await after.Records.ReportsAsync(all, Ct)).Count);
        Assert.Equal(counts, (await after.Records.ResultCountsAsync(all, Ct)).Count);
    }

    [Fact]
    public async Task EveryKindOfReportAndTheDashboardReadBackAsFromSqlite()
    {
        var url = await cluster.CreateDatabaseAsync();
        var file = _folder.File("dmarc.db");
        string[] inputs = [Samples, Path.Combine(Corpus.RepoRoot, "samples", "tls"), Path.Combine(Corpus.RepoRoot, "samples", "failure")];
        var onSqlite = await DmarcProcess.RunAsync(_folder.Path, ["ingest", .. inputs, "--db", file]);
        var onPostgres = await DmarcProcess.RunAsync(_folder.Path, ["ingest", .. inputs, "--db", url]);
        Assert.True(onPostgres.ExitCode == 0, onPostgres.Stderr);
        Assert.Equal(onSqlite.Stdout, onPostgres.Stdout);
        foreach (var what in new[] { "tls", "failure-reports", "reports" })
            Assert.Equal(WithoutIngestTime(await ExportAsync(file, what)), WithoutIngestTime(await ExportAsync(url, what)));

        var sqliteReport = _folder.File("report-sqlite");
        var postgresReport = _folder.File("report-postgres");
        foreach (var (database, folder) in new[] { (file, sqliteReport), (url, postgresReport) })
        {
            var report = await DmarcProcess.RunAsync(_folder.Path, "report", "--from", "2020-01-01", "--to", "2030-12-31", "--no-dns",
                "--db", database, "--out", folder);
            Assert.True(report.ExitCode == 0, report.Stderr);
        }
        var csvFiles = Directory.GetFiles(sqliteReport, "*.csv").Select(Path.GetFileName).Order().ToList();
        Assert.NotEmpty(csvFiles);
        Assert.Equal(csvFiles, Directory.GetFiles(postgresReport, "*.csv").Select(Path.GetFileName).Order());
        foreach (var csv in csvFiles)
            Assert.Equal(await File.ReadAllTextAsync(Path.Combine(sqliteReport, csv!), Ct), await File.ReadAllTextAsync(Path.Combine(postgresReport, csv!), Ct));

        await using var sqlite = await Store.OpenAsync(file, Ct);
        await using var postgres = await Store.OpenAsync(url, Ct);
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        foreach (var store in new[] { sqlite, postgres })
        {
            Assert.True(await store.Users.SaveAsync("Alice", UserRole.Admin, "hash-1", now, Ct));
            Assert.False(await store.Users.SaveAsync("alice", UserRole.Viewer, "hash-2", now, Ct));
            await store.Users.AddFailureAsync("ALICE", 1_800_000_100, 0, Ct);
            await store.ArchiveExceptions.DecideAsync(await store.ArchiveExceptions.RequestAsync("partner@example.net", null, "invoices", "alice", now, Ct),
                ExceptionState.Approved, new DateOnly(2030, 1, 1), "admin", now, Ct);
        }
        Assert.Equal(await DashboardAsync(sqlite), await DashboardAsync(postgres));
    }

    [Fact]
    public async Task ReparseDigestAlertAndExceptionsSayTheSameOnBothStores()
    {
        var url = await cluster.CreateDatabaseAsync();
        var file = _folder.File("dmarc.db");
        var config = _folder.File("dmarc.json");
        await File.WriteAllTextAsync(config, $$"""
            { "Smtp": { "Host": "127.0.0.1", "Port": {{Milter.MilterCommandTests.FreePort()}}, "Tls": "none", "From": "dmarc@example.org" },
              "Filter": { "Exceptions": [] } }
            """, Ct);
        var said = new List<List<string>>();
        foreach (var database in new[] { file, url })
        {
            var lines = new List<string>();
            async Task<DmarcProcess.Result> RunAsync(params string[] args)
            {
                var result = await DmarcProcess.RunAsync(_folder.Path, [.. args, "--db", database]);
                Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)} on {database}: {result.Stdout}{result.Stderr}");
                lines.AddRange(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                return result;
            }
            await RunAsync("ingest", Samples);
            Assert.Matches("^reparse: [1-9][0-9]* stored reports re-read, 0 changed, 0 in conflict, 0 unreadable now; 0 failures re-read, 0 now stored",
                (await RunAsync("reparse")).Stdout);
            await using (var store = await Store.OpenAsync(database, Ct))
            {
                await using (var tamper = store.Connection.CreateCommand())
                {
                    tamper.CommandText = "UPDATE records SET count = count + 1 WHERE id = (SELECT min(id) FROM records)";
                    Assert.Equal(1, await tamper.ExecuteNonQueryAsync(Ct));
                }
                var id = await store.ArchiveExceptions.RequestAsync("partner.example", null, "encrypted invoices", "alice", DateTimeOffset.UtcNow, Ct);
                Assert.True(await store.ArchiveExceptions.DecideAsync(id, ExceptionState.Approved, null, "admin", DateTimeOffset.UtcNow, Ct));
            }
            await using (var writer = await Store.OpenWriterAsync(database, Ct))
            {
                var raw = Reports.ReportXml.Bytes(Reports.ReportXml.Report("fixed-1", records: 3));
                await writer.AddFailureAsync("mail/1.eml", "an older reader could not read this", new RawInput(raw, raw.Length), Ct);
            }
            Assert.Contains(", 1 changed, 0 in conflict, 0 unreadable now; 1 failures re-read, 1 now stored", (await RunAsync("reparse")).Stdout);
            Assert.Contains(", 0 changed, 0 in conflict, 0 unreadable now; 0 failures re-read, 0 now stored", (await RunAsync("reparse")).Stdout);

            string[] digest = ["digest", "--week", "2026-W08", "--to", "a@example.net", "--config", config, "--no-dns"];
            var first = await RunAsync(digest);
            Assert.Contains("digest 2026-W08: to a@example.net queued", first.Stdout);
            Assert.Contains("outbox: 0 sent, 1 deferred", first.Stdout);
            Assert.Contains("digest 2026-W08: to a@example.net already sent (--force sends it again)", (await RunAsync(digest)).Stdout);

            // Whatever fires on the samples today fires once.
            await RunAsync("alert", "--no-dns", "--config", config);
            Assert.Empty((await RunAsync("alert", "--no-dns", "--config", config)).Stdout);
            Assert.EndsWith("exceptions: 1 active, 0 expired", (await RunAsync("exceptions", "list", "--config", config)).Stdout.TrimEnd());
            await using (var store = await Store.OpenAsync(database, Ct))
                Assert.Equal((await store.Alerts.FiredAsync(Ct)).Count, await store.OpenAlerts.CountAsync(Ct));
            said.Add(lines);
        }
        Assert.Equal(said[0], said[1]);
    }

    [Fact]
    public async Task TheDashboardServesItsAdministrationFromPostgres()
    {
        var url = await cluster.CreateDatabaseAsync();
        Assert.Equal(0, (await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", url)).ExitCode);
        var clock = new Web.ManualClock(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero));
        await using (var store = await Store.OpenAsync(url, Ct))
        {
            await store.Users.SaveAsync(Web.DashboardHarness.AdminName, UserRole.Admin, DmarcAnalyzer.Web.PasswordHash.Hash(Web.DashboardHarness.Password, 1000),
                clock.Now, Ct);
            await store.Alerts.RecordAsync([(new AlertQueries.FiredAlert("silence", "*", ""), "no report stored for 3 days")], clock.Now, Ct);
        }
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
            Task<HttpResponseMessage> PostAsync(string page, string action, Dictionary<string, string> fields) =>
                Web.DashboardHarness.PostFormAsync(admin, page, action, fields);
            Assert.Equal(System.Net.HttpStatusCode.Redirect,
                (await Web.DashboardHarness.SignInAsync(admin, "ALICE", Web.DashboardHarness.Password)).StatusCode);
            Assert.Contains("<h2>Open alerts (1)</h2>", await admin.GetStringAsync("/", Ct));

            Assert.Equal(System.Net.HttpStatusCode.Redirect, (await PostAsync("/senders", "/senders", new() { ["name"] = "partner", ["value"] = "192.0.2.7" })).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.Conflict, (await PostAsync("/senders", "/senders", new() { ["name"] = "other", ["value"] = "192.0.2.7/32" })).StatusCode);
            Assert.Contains("<code>192.0.2.7/32</code>", await admin.GetStringAsync("/senders", Ct));

            Assert.Equal(System.Net.HttpStatusCode.Redirect, (await PostAsync("/users", "/users",
                new() { ["name"] = "bob", ["role"] = "viewer", ["password"] = "bob's long password" })).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.Conflict, (await PostAsync("/users", "/users",
                new() { ["name"] = "BOB", ["role"] = "admin", ["password"] = "another long password" })).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.Conflict, (await PostAsync("/users", "/users/disable", new() { ["name"] = "alice" })).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.Redirect, (await PostAsync("/users", "/users/disable", new() { ["name"] = "Bob" })).StatusCode);
            Assert.Contains("<span class=\"badge v-not\">disabled</span>", await admin.GetStringAsync("/users", Ct));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
        await using var after = await Store.OpenAsync(url, Ct);
        var audit = await after.Audit.NewestAsync(20, Ct);
        foreach (var action in new[] { "known sender added", "user added", "user disabled" })
            Assert.Contains(audit, a => a.Actor == Web.DashboardHarness.AdminName && a.Action == action);
    }

    /// <summary>What the dashboard's queries give, as text to compare.</summary>
    private static async Task<string> DashboardAsync(Store store)
    {
        var all = new RecordFilter(null, 0, long.MaxValue);
        var reports = await store.Records.ReportsAsync(all, Ct);
        var first = reports.MinBy(r => (r.BeginUtc, r.OrgName, r.Domain))!;
        var detail = await store.ReportDetails.FindAsync(first.Id, Ct);
        var ip = detail!.Records[0].SourceIp;
        var source = await store.Sources.ForAddressAsync(ip, 0, long.MaxValue, Ct);
        var search = await store.Search.FindAsync(first.Domain[..3].ToUpperInvariant(), Ct);
        var user = await store.Users.FindAsync("ALICE", Ct);
        var failures = await store.Users.FailuresSinceAsync("Alice", 0, Ct);
        var approved = await store.ArchiveExceptions.ApprovedAsync(Ct);
        var audit = await store.Audit.NewestAsync(10, Ct);
        var failing = await store.Alerts.NewFailingSourcesAsync(0, 0, Ct);
        var passes = await store.Alerts.PassCountsAsync(0, long.MaxValue, Ct);
        var signers = await store.Records.FurtherSigningDomainsAsync(all, Ct);
        var ends = reports.Select(r => $"{r.BeginUtc}-{r.EndUtc}").Order(StringComparer.Ordinal).ToList();

        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var users = new List<UserChange>
        {
            await store.UserAdmin.AddAsync("Bob", UserRole.Viewer, "hash-3", "Alice", now, Ct),
            await store.UserAdmin.AddAsync("BOB", UserRole.Admin, "hash-4", "Alice", now, Ct),
            await store.UserAdmin.SetDisabledAsync("alice", true, "alice", now, Ct),
            await store.UserAdmin.SetRoleAsync("bob", UserRole.Admin, "Alice", now, Ct),
            await store.UserAdmin.SetDisabledAsync("ALICE", true, "bob", now, Ct),
            await store.UserAdmin.SetRoleAsync("bob", UserRole.Viewer, "Alice", now, Ct),
            await store.UserAdmin.SetPasswordAsync("alice", "hash-5", "bob", now, Ct),
            await store.UserAdmin.SetDisabledAsync("nobody", false, "bob", now, Ct),
        };
        var userList = await store.UserAdmin.ListAsync(Ct);
        var disabled = await store.Users.FindAsync("alice", Ct);
        var failuresAfterReset = await store.Users.FailuresSinceAsync("Alice", 0, Ct);

        var known = new List<bool>
        {
            await store.KnownSenders.AddAsync("Relay", KnownSenderKind.Range, "192.0.2.0/24", "bob", now, Ct),
            await store.KnownSenders.AddAsync("Other", KnownSenderKind.Range, "192.0.2.0/24", "bob", now, Ct),
            await store.KnownSenders.AddAsync("Relay", KnownSenderKind.PtrDomain, "relay.example", "bob", now, Ct),
        };
        var knownList = await store.KnownSenders.ListAsync(Ct);
        known.Add(await store.KnownSenders.RemoveAsync(knownList[0].Id, "bob", now, Ct));
        known.Add(await store.KnownSenders.RemoveAsync(-1, "bob", now, Ct));
        var knownAfter = await store.KnownSenders.ListAsync(Ct);

        await store.Alerts.RecordAsync([(new AlertQueries.FiredAlert("silence", "example.com", ""), "no reports"),
            (new AlertQueries.FiredAlert("new-source", "example.com", "192.0.2.9"), "new failing source")], now, Ct);
        var open = await store.OpenAlerts.NewestAsync(10, Ct);
        var openCount = await store.OpenAlerts.CountAsync(Ct);

        await store.PublishedRecords.SaveAsync([new PublishedRecord("example.com", PublishedRecordKind.Dmarc, "v=DMARC1; p=none"),
            new PublishedRecord("example.com", PublishedRecordKind.Spf, "")], now, Ct);
        await store.PublishedRecords.SaveAsync([new PublishedRecord("example.com", PublishedRecordKind.Dmarc, "v=DMARC1; p=reject")], now.AddDays(1), Ct);
        var published = await store.PublishedRecords.LastSeenAsync(Ct);

        var mail = new OutboxMail("dmarc@example.org", ["a@example.net"], "Subject: digest\r\n\r\nbody\r\n"u8.ToArray());
        await store.Digests.SpoolAsync("2026-W08", ["example.com", "example.org"], ["A@Example.net"], mail, now, Ct);
        await store.Digests.SpoolAsync("2026-W08", ["example.com"], ["a@example.net"], mail, now.AddHours(1), Ct);
        var sent = (await store.Digests.SentAsync("2026-W08", Ct)).Select(d => $"{d.Domain} {d.Recipient}").Order(StringComparer.Ordinal).ToList();
        var spooled = await store.Outbox.CountAsync(Ct);
        return System.Text.Json.JsonSerializer.Serialize(new
        {
            Detail = detail with { Id = 0 },
            // group_concat(DISTINCT) and string_agg(DISTINCT) list the dispositions in no promised order.
            Source = source with
            {
                Reports = source.Reports.Select(r => r with { Id = 0 }).ToList(),
                Days = source.Days.Select(d => d with { Dispositions = string.Join(',', d.Dispositions.Split(',').Order(StringComparer.Ordinal)) }).ToList(),
            },
            Search = search with { Reports = search.Reports.Select(r => r with { Id = 0 }).ToList() },
            user,
            failures,
            Approved = approved.Select(a => a with { Id = 0 }),
            Audit = audit.Select(a => a with { Id = 0 }),
            failing,
            passes = passes.OrderBy(p => p.Domain),
            Signers = signers.OrderBy(c => c.SourceIp, StringComparer.Ordinal).ThenBy(c => c.Domain, StringComparer.Ordinal),
            ends,
            users,
            userList,
            disabled,
            failuresAfterReset,
            known,
            KnownList = knownList.Select(k => k with { Id = 0 }),
            KnownAfter = knownAfter.Select(k => k with { Id = 0 }),
            open,
            openCount,
            published,
            sent,
            spooled,
            AuditAfter = (await store.Audit.NewestAsync(30, Ct)).Select(a => a with { Id = 0 }),
        });
    }

    private static string WithoutIngestTime(string json) => IngestTime().Replace(json, "\"ingested\": \"\"");

    [GeneratedRegex("\"ingested\": \"[^\"]*\"")]
    private static partial Regex IngestTime();

    private static VerdictRecord Verdict(int i) => new(
        DateTimeOffset.FromUnixTimeSeconds(1_800_000_000 + i),
        new MessageEnvelope($"Q{i}", "192.0.2.1", "mx.example.org", "helo.example.org", "a@example.org", ["b@example.net"], null, "smtpd"),
        "A <a@example.org>", new Verdict(VerdictAction.Accept, "why"));

    private static async Task WaitForAsync(Func<bool> condition) => await RetryAsync(() => Task.FromResult(condition()));

    private static async Task RetryAsync(Func<Task<bool>> attempt)
    {
        for (var waited = 0; !await attempt(); waited++)
        {
            Assert.True(waited < 1200, "the condition was not met within two minutes");
            await Task.Delay(100, Ct);
        }
    }

    private async Task<string> ExportAsync(string database, string what)
    {
        var result = await DmarcProcess.RunAsync(_folder.Path, "export", "--format", "json", "--what", what, "--db", database);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }

    private static async Task<List<string>> VisitedAsync(IRecordQueries records)
    {
        var rows = new List<string>();
        var gate = new Lock();
        void Visit(long report, ReadOnlySpan<byte> ip, long count, int flags, ReadOnlySpan<byte> signingDomain)
        {
            var row = $"{System.Text.Encoding.UTF8.GetString(ip)} {count} {flags} {System.Text.Encoding.UTF8.GetString(signingDomain)}";
            lock (gate)
                rows.Add(row);
        }
        await records.ReadRecordsAsync(new RecordFilter(null, 0, long.MaxValue), 1_000_000, Visit, Visit, Ct);
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    private static List<string> Counts(IEnumerable<ResultCountOfReport> counts) =>
        counts.Select(c => $"{c.Kind} {c.Value} {c.Messages}").Order(StringComparer.Ordinal).ToList();

    private static async Task<HashSet<string>> ColumnsAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var columns = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(Ct))
            columns.Add($"{reader.GetString(0)}.{reader.GetString(1)}");
        return columns;
    }

    private static (int New, int Duplicate) Summary(string line)
    {
        var match = SummaryLine().Match(line);
        Assert.True(match.Success, line);
        return (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value));
    }

    [GeneratedRegex(@"^reports: (\d+) new, (\d+) duplicate")]
    private static partial Regex SummaryLine();
}
