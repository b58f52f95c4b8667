using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Storage.Postgres;
using DmarcAnalyzer.Tests.Cli;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DmarcAnalyzer.Tests.Storage;

/// <summary>
/// PostgreSQL's monthly partitions of records and verdicts, on a private cluster: the migration of a filled store keeps
/// every row and the report's figures, prune drops whole months (as the catalog shows) and deletes row by row only what
/// is left before the cut-off, and writers making the same month at once make it once.
/// </summary>
public sealed class PostgresPartitionTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>, IDisposable
{
    private static readonly string[] RecordTables = ["records", "record_reasons", "record_dkim", "record_spf"];
    private static readonly string Samples = Path.Combine(Corpus.RepoRoot, "samples", "rua");
    private readonly TempFolder _folder = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The migration that partitions the tables: the tests find it rather than name its number.</summary>
    private static readonly int Partitioning = PgSchema.Migrations.ToList().FindIndex(m => m.Contains("PARTITION BY RANGE (month)"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    [Fact]
    public async Task MigratingAFilledStoreKeepsEveryRowAndTheReportFigures()
    {
        var file = _folder.File("dmarc.db");
        Assert.Equal(0, (await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", file)).ExitCode);
        var url = await cluster.CreateDatabaseAsync();
        await using (var connection = await OpenAsync(url))
        {
            await MigrateBeforePartitioningAsync(connection);
            await using (var sqlite = new SqliteConnection($"Data Source={file}"))
            {
                await sqlite.OpenAsync(Ct);
                foreach (var table in StoreCopy.Tables)
                    await CopyRowsAsync(sqlite, connection, table);
            }
            // Verdicts over three months, and one whose time is no date (it stays in the DEFAULT partition).
            await ExecuteAsync(connection, """
                INSERT INTO verdicts (id, time_utc, queue_id, envelope_from, recipients, action, reason)
                SELECT g, 1767225600 + g * 86400, 'Q' || g, 'a@example.org', '["b@example.net"]', 'accept', 'dmarc pass' FROM generate_series(1, 80) g
                UNION ALL SELECT 81, -5, 'Q81', 'a@example.org', '[]', 'accept', 'dmarc pass'
                """);
        }
        var before = new Dictionary<string, (long, string)>();
        var columnsBefore = new Dictionary<string, List<string>>();
        await using (var connection = await OpenAsync(url))
        {
            foreach (var table in RecordTables.Append("verdicts"))
            {
                columnsBefore[table] = await ColumnsAsync(connection, table);
                before[table] = await FingerprintAsync(connection, table, columnsBefore[table]);
            }
        }
        Assert.True(before["records"].Item1 > 0 && before["record_reasons"].Item1 > 0);

        await using (var store = await Store.OpenAsync(url, Ct))
        {
            // New rows take ids after the moved ones.
            await store.Verdicts.WriteAsync([Verdict(1_767_225_600)], Ct);
        }
        await using (var connection = await OpenAsync(url))
        {
            foreach (var table in RecordTables)
                Assert.Equal(before[table], await FingerprintAsync(connection, table, columnsBefore[table]));
            Assert.Equal(82L, await ScalarAsync<long>(connection, "SELECT count(DISTINCT id) FROM verdicts"));
            await ExecuteAsync(connection, "DELETE FROM verdicts WHERE id > 81");
            Assert.Equal(before["verdicts"], await FingerprintAsync(connection, "verdicts", columnsBefore["verdicts"]));

            var reportMonths = await ScalarAsync<int[]>(connection,
                "SELECT array_agg(DISTINCT dmarc_month_of(begin_utc) ORDER BY dmarc_month_of(begin_utc)) FROM reports");
            foreach (var table in RecordTables)
            {
                Assert.Equal(reportMonths, (await PgPartitions.MonthsAsync(connection, null, table, Ct)).ToArray());
                Assert.Equal(0L, await ScalarAsync<long>(connection, $"SELECT count(*) FROM {table}_default"));
            }
            Assert.Equal(new[] { 202601, 202602, 202603 }, await PgPartitions.MonthsAsync(connection, null, "verdicts", Ct));
            Assert.Equal("Q81", await ScalarAsync<string>(connection, "SELECT queue_id FROM verdicts_default"));
        }

        Assert.Equal(await ExportAsync(file, "records"), await ExportAsync(url, "records"));
        Assert.Equal(await ExportAsync(file, "reports"), await ExportAsync(url, "reports"));
        await using var onSqlite = await Store.OpenAsync(file, Ct);
        await using var onPostgres = await Store.OpenAsync(url, Ct);
        var all = new RecordFilter(null, 0, long.MaxValue);
        Assert.Equal(Counts(await onSqlite.Records.ResultCountsAsync(all, Ct)), Counts(await onPostgres.Records.ResultCountsAsync(all, Ct)));
    }

    [Fact]
    public async Task PruneDropsTheMonthsBeforeTheCutOffAndDeletesRowsOnlyInTheBoundaryMonth()
    {
        var url = await cluster.CreateDatabaseAsync();
        Assert.Equal(0, (await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", url)).ExitCode);
        await using var store = await Store.OpenAsync(url, Ct);
        await using var connection = await OpenAsync(url);
        // A month that ends after the boundary month, so that a cut-off inside it leaves months on both sides.
        var months = await PgPartitions.MonthsAsync(connection, null, "records", Ct);
        Assert.True(months.Count >= 2, $"the samples span {months.Count} month(s)");
        var boundary = months[^1];
        var cutOff = PgPartitions.StartOf(boundary) + 10 * 86_400;
        var verdictTimes = new[] { PgPartitions.StartOf(months[0]) + 5, cutOff - 1, cutOff, PgPartitions.StartOf(boundary) + 40 * 86_400 };
        await store.Verdicts.WriteAsync(verdictTimes.Select(Verdict).ToList(), Ct);

        var records = await ScalarAsync<long>(connection, "SELECT count(*) FROM records");
        var doomed = await ScalarAsync<long>(connection,
            $"SELECT count(*) FROM records r JOIN reports p ON p.id = r.report WHERE p.end_utc < {cutOff}");
        var kept = records - doomed;
        var whole = new List<int>();
        foreach (var month in months.Where(m => m < boundary))
        {
            if (!await ScalarAsync<bool>(connection, $"""
                SELECT EXISTS (SELECT 1 FROM reports WHERE dmarc_month_of(begin_utc) = {month} AND end_utc >= {cutOff})
                """))
                whole.Add(month);
        }
        Assert.NotEmpty(whole);

        var pruned = await Retention.PruneAsync(store, cutOff, Ct);

        Assert.Equal(whole, pruned.Dropped.RecordMonths);
        Assert.Equal(doomed, pruned.Records);
        Assert.Equal(kept, await ScalarAsync<long>(connection, "SELECT count(*) FROM records"));
        Assert.Equal(0L, await ScalarAsync<long>(connection,
            $"SELECT count(*) FROM records r JOIN reports p ON p.id = r.report WHERE p.end_utc < {cutOff}"));
        foreach (var table in RecordTables)
        {
            var left = await PgPartitions.MonthsAsync(connection, null, table, Ct);
            Assert.Equal(months.Except(whole), left);
            Assert.Empty(await NamesAsync(connection, $"SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE "
                + $"i.inhparent = '{table}'::regclass AND c.relname = ANY (ARRAY[{string.Join(", ", whole.Select(m => $"'{table}_{m}'"))}])"));
            if (table != "records")
                Assert.Equal(0L, await ScalarAsync<long>(connection,
                    $"SELECT count(*) FROM {table} x WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = x.record)"));
        }
        // Verdicts: the month of the first went whole, the one just before the cut-off row by row; the rest stay.
        Assert.Equal(new[] { months[0] }, pruned.Dropped.VerdictMonths);
        Assert.Equal(2, pruned.Verdicts);
        Assert.Equal(new[] { cutOff, verdictTimes[3] }, await ScalarAsync<long[]>(connection, "SELECT array_agg(time_utc ORDER BY time_utc) FROM verdicts"));

        var again = await DmarcProcess.RunAsync(_folder.Path, "prune", "--older-than", "0d", "--db", url);
        Assert.True(again.ExitCode == 0, again.Stderr);
        var lines = again.Stdout.TrimEnd().Split('\n');
        var remaining = string.Join(", ", months.Except(whole).Select(Month));
        Assert.StartsWith($"partitions dropped: records of {remaining} ({kept} records)", lines[^2]);
        Assert.Matches($"^pruned before .*: {kept} records, ", lines[^1]);
    }

    [Fact]
    public async Task WritersMakingTheSameMonthAtOnceMakeItOnceAndRowsOfTheDefaultPartitionMoveIntoIt()
    {
        var url = await cluster.CreateDatabaseAsync();
        await (await Store.OpenAsync(url, Ct)).DisposeAsync();
        const int Month = 203_001;
        var connections = new List<NpgsqlConnection>();
        for (var i = 0; i < 8; i++)
            connections.Add(await OpenAsync(url));
        try
        {
            await Task.WhenAll(connections.Select((connection, i) => i % 2 == 0
                ? PgPartitions.EnsureRecordsMonthAsync(connection, null, Month, Ct)
                : PgPartitions.EnsureVerdictsMonthAsync(connection, null, Month, Ct)));
        }
        finally
        {
            foreach (var connection in connections)
                await connection.DisposeAsync();
        }
        await using var check = await OpenAsync(url);
        foreach (var table in RecordTables.Append("verdicts"))
            Assert.Equal(new[] { Month }, await PgPartitions.MonthsAsync(check, null, table, Ct));

        // Two milters' verdict logs writing into a month nobody has made yet, at once.
        var time = PgPartitions.StartOf(203_102) + 60;
        await using (var first = await Store.OpenAsync(url, Ct))
        await using (var second = await Store.OpenAsync(url, Ct))
        {
            await Task.WhenAll(Enumerable.Range(0, 2).Select(i => Task.Run(() =>
                (i == 0 ? first : second).Verdicts.WriteAsync(Enumerable.Range(0, 50).Select(j => Verdict(time + j)).ToList(), Ct), Ct)));
        }
        Assert.Equal(100L, await ScalarAsync<long>(check, "SELECT count(*) FROM verdicts_203102"));

        // A row that found no partition of its month is in the DEFAULT partition; making the month moves it there.
        await ExecuteAsync(check, """
            INSERT INTO reports (id, org_name, report_id, domain, begin_utc, end_utc, source, ingested_utc, raw_gzip)
            VALUES (1, 'Reporter', 'r1', 'example.com', 1938736800, 1938823200, 'test', 0, '\x');
            INSERT INTO records (id, report, source_ip, count, month) VALUES (1, 1, '192.0.2.1', 3, 203106);
            INSERT INTO record_reasons (record, type, month) VALUES (1, 'forwarded', 203106);
            INSERT INTO record_dkim (record, domain, result, month) VALUES (1, 'example.com', 'pass', 203106);
            INSERT INTO record_spf (record, domain, result, month) VALUES (1, 'example.com', 'fail', 203106);
            INSERT INTO verdicts (time_utc, envelope_from, recipients, action, reason) VALUES (1938736800, 'a@example.org', '[]', 'accept', 'x');
            """);
        Assert.Equal("records_default", await ScalarAsync<string>(check, "SELECT tableoid::regclass::text FROM records"));
        await PgPartitions.EnsureRecordsMonthAsync(check, null, 203_106, Ct);
        await PgPartitions.EnsureVerdictsMonthAsync(check, null, PgPartitions.MonthOf(1_938_736_800), Ct);
        foreach (var table in RecordTables)
            Assert.Equal($"{table}_203106", await ScalarAsync<string>(check, $"SELECT tableoid::regclass::text FROM {table}"));
        Assert.Equal("verdicts_203106", await ScalarAsync<string>(check, "SELECT tableoid::regclass::text FROM verdicts WHERE time_utc = 1938736800"));
    }

    [Fact]
    public async Task DbCopyFromSqlitePutsEveryRowIntoItsMonthsPartition()
    {
        var file = _folder.File("dmarc.db");
        Assert.Equal(0, (await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", file)).ExitCode);
        await using (var sqlite = await Store.OpenAsync(file, Ct))
            await sqlite.Verdicts.WriteAsync([Verdict(1_767_225_600), Verdict(1_770_000_000), Verdict(-5)], Ct);
        var url = await cluster.CreateDatabaseAsync();

        var copy = await DmarcProcess.RunAsync(_folder.Path, "db", "copy", "--from", file, "--to", url);
        Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
        Assert.EndsWith("all verified", copy.LastLine);

        await using var connection = await OpenAsync(url);
        foreach (var table in RecordTables)
            Assert.Equal(0L, await ScalarAsync<long>(connection, $"SELECT count(*) FROM {table}_default"));
        Assert.Equal(0L, await ScalarAsync<long>(connection,
            "SELECT count(*) FROM records r JOIN reports p ON p.id = r.report WHERE r.month <> dmarc_month_of(p.begin_utc)"));
        Assert.Equal(new[] { 202601, 202602 }, await PgPartitions.MonthsAsync(connection, null, "verdicts", Ct));
        Assert.Equal(-5L, await ScalarAsync<long>(connection, "SELECT time_utc FROM verdicts_default"));
        Assert.Equal(await ExportAsync(file, "records"), await ExportAsync(url, "records"));
    }

    [Fact]
    public async Task IngestKilledAtAnyMomentThenRunAgainEqualsACleanRun()
    {
        var clean = _folder.File("clean.db");
        Assert.Equal(0, (await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", clean)).ExitCode);

        // Killed while migrating, making a month's partitions or in a report's transaction: each rolls back whole.
        var url = await cluster.CreateDatabaseAsync();
        foreach (var delay in new[] { 300, 600, 900, 1200 })
        {
            using var process = System.Diagnostics.Process.Start(DmarcProcess.StartInfo(_folder.Path, "ingest", Samples, "--db", url))!;
            await Task.Delay(delay, Ct);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Ct);
        }
        var again = await DmarcProcess.RunAsync(_folder.Path, "ingest", Samples, "--db", url);
        Assert.True(again.ExitCode == 0, again.Stderr);

        Assert.Equal(await ExportAsync(clean, "records"), await ExportAsync(url, "records"));
        await using var connection = await OpenAsync(url);
        foreach (var table in RecordTables)
            Assert.Equal(0L, await ScalarAsync<long>(connection, $"SELECT count(*) FROM {table}_default"));
    }

    /// <summary>The schema as it was before the partitioning migration, as an older dmarc left it.</summary>
    private static async Task MigrateBeforePartitioningAsync(NpgsqlConnection connection)
    {
        Assert.True(Partitioning > 0);
        await ExecuteAsync(connection, "CREATE TABLE dmarc_schema (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), version integer NOT NULL)");
        foreach (var migration in PgSchema.Migrations.Take(Partitioning))
            await ExecuteAsync(connection, migration);
        await ExecuteAsync(connection, $"INSERT INTO dmarc_schema (version) VALUES ({Partitioning})");
    }

    /// <summary>A table's rows from SQLite into PostgreSQL, the columns both have, as they are.</summary>
    private static async Task CopyRowsAsync(SqliteConnection from, NpgsqlConnection to, string table)
    {
        var columns = (await NamesAsync(from, $"SELECT name FROM pragma_table_info('{table}')"))
            .Intersect(await NamesAsync(to, $"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'")).ToList();
        await using var read = from.CreateCommand();
        // The tables without a key of their own in the order SQLite holds them, as the ids PostgreSQL gives them keep it.
        read.CommandText = $"SELECT {string.Join(", ", columns)} FROM {table}" + (table.StartsWith("record_", StringComparison.Ordinal) ? " ORDER BY rowid" : "");
        await using var reader = await read.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})", to);
            for (var i = 0; i < columns.Count; i++)
                insert.Parameters.AddWithValue($"p{i}", reader.IsDBNull(i) ? DBNull.Value : reader.GetValue(i));
            await insert.ExecuteNonQueryAsync(Ct);
        }
    }

    /// <summary>
    /// A table's row count and an MD5 over its rows in id order, over <paramref name="columns"/> (those it had before the
    /// migrations: later ones may add some).
    /// </summary>
    private static async Task<(long, string)> FingerprintAsync(NpgsqlConnection connection, string table, IReadOnlyCollection<string> columns)
    {
        var row = $"ROW({string.Join(", ", columns)})::text";
        await using var query = new NpgsqlCommand($"SELECT count(*), coalesce(md5(string_agg({row}, '|' ORDER BY id)), '') FROM {table}", connection);
        await using var reader = await query.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        return (reader.GetInt64(0), reader.GetString(1));
    }

    /// <summary>The table's columns but the month.</summary>
    private static async Task<List<string>> ColumnsAsync(NpgsqlConnection connection, string table) =>
        [.. (await NamesAsync(connection,
            $"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position")).Where(c => c != "month")];

    private static VerdictRow Verdict(long time) => new(time, $"Q{time}", "192.0.2.1", "mx.example.org", "helo.example.org", "a@example.org",
        "[\"b@example.net\"]", "a@example.org", "pass", "pass", "pass", "accept", "dmarc pass", null, null);

    private static string Month(int month) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{month / 100:D4}-{month % 100:D2}");

    private static List<string> Counts(IEnumerable<ResultCountOfReport> counts) =>
        counts.Select(c => $"{c.Kind} {c.Value} {c.Messages}").Order(StringComparer.Ordinal).ToList();

    private async Task<string> ExportAsync(string database, string what)
    {
        var result = await DmarcProcess.RunAsync(_folder.Path, "export", "--format", "json", "--what", what, "--db", database);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string url)
    {
        var connection = new NpgsqlConnection(StoreLocation.Postgres(url).ConnectionString);
        await connection.OpenAsync(Ct);
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static async Task<List<string>> NamesAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var names = new List<string>();
        while (await reader.ReadAsync(Ct))
            names.Add(reader.GetString(0));
        return names;
    }
}
