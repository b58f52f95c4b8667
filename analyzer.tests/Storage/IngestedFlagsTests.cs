using System.Data.Common;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Storage.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DmarcAnalyzer.Tests.Storage;

/// <summary>
/// records.flags and records.own_signer: what ingest computes (IngestedFlags) is what the migration computes for rows
/// stored before it, and what a report fills in for rows an older dmarc stored after it, on both stores.
/// </summary>
public sealed class IngestedFlagsTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>, IDisposable
{
    private readonly TempFolder _folder = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The migration that adds the columns: the tests find it rather than name its number.</summary>
    private static readonly int AddsFlags = Schema.Migrations.ToList().FindIndex(m => m.Contains("ADD COLUMN flags"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private static ReportRecord Record(string ip, string? dkimEval, string? spfEval, string? disposition = "none",
        string headerFrom = "example.com", PolicyOverride[]? reasons = null, (string, string)[]? dkim = null, (string, string)[]? spf = null) =>
        new(ip, 10, disposition, dkimEval, spfEval, reasons ?? [], headerFrom, null, null,
            [.. (dkim ?? []).Select(d => new DkimAuthResult(d.Item1, "s1", d.Item2, null))],
            [.. (spf ?? []).Select(s => new SpfAuthResult(s.Item1, "mfrom", s.Item2, null))]);

    /// <summary>Each case with the flags and own signer expected of it.</summary>
    private static readonly (ReportRecord Record, int Flags, string? OwnSigner)[] Cases =
    [
        (Record("192.0.2.1", "pass", "pass"), RecordFlags.DkimAligned | RecordFlags.SpfAligned, null),
        (Record("192.0.2.2", "fail", "fail", "reject", reasons: [new("local_policy", "ARC=Pass (i=1)")]),
            RecordFlags.Forwarded | RecordFlags.ArcAccepted | 2 << RecordFlags.DispositionShift, null),
        (Record("192.0.2.3", "fail", "fail", "quarantine", reasons: [new("mailing_list", null), new("local_policy", null)]),
            RecordFlags.Forwarded | 1 << RecordFlags.DispositionShift, null),
        // Relayed: SPF failed, a signature of a parent of the From domain verified.
        (Record("192.0.2.4", "fail", "fail", headerFrom: "mail.example.com", dkim: [("example.com", "pass")], spf: [("fwd.example", "fail")]),
            RecordFlags.Forwarded, null),
        // A child of the From domain, its pass in a further signature and the failing SPF result in a further one.
        (Record("192.0.2.5", "fail", "fail", dkim: [("esp.example", "fail"), ("sub.example.com", "pass")], spf: [("a.example", "pass"), ("b.example", "fail")]),
            RecordFlags.Forwarded, null),
        (Record("192.0.2.6", "fail", "fail", null, dkim: [("esp.example", "pass"), ("example.com", "pass"), ("other-esp.example", "pass")]),
            RecordFlags.OwnDkimPass | RecordFlags.FurtherOwnSigners | 3 << RecordFlags.DispositionShift, "esp.example"),
        // Underscores are letters here, not LIKE's wildcard.
        (Record("192.0.2.7", "fail", "fail", headerFrom: "a_b.example", dkim: [("x.axb.example", "pass")]), RecordFlags.OwnDkimPass, "x.axb.example"),
        (Record("192.0.2.8", "pass", "pass", dkim: [("example.com", "pass"), ("esp.example", "pass")]),
            RecordFlags.DkimAligned | RecordFlags.SpfAligned | RecordFlags.FurtherOwnSigners, null),
        (Record("192.0.2.9", "fail", "fail", dkim: [("esp.example", "fail")], spf: [("esp.example", "fail")]), 0, null),
        (Record("192.0.2.10", "fail", "pass", "other", dkim: [("esp.example", "pass")], reasons: [new("forwarded", null)]),
            RecordFlags.SpfAligned | 3 << RecordFlags.DispositionShift, "esp.example"),
        (Record("192.0.2.11", null, null, null, headerFrom: "example.com", dkim: [("example.com", "pass")], spf: [("example.com", "fail")]),
            RecordFlags.Forwarded | 3 << RecordFlags.DispositionShift, null),
    ];

    [Fact]
    public void IngestComputesTheFlagsOfEachCase()
    {
        foreach (var (record, flags, ownSigner) in Cases)
        {
            Assert.Equal((record.SourceIp, flags), (record.SourceIp, IngestedFlags.Of(record, out var signer)));
            Assert.Equal(ownSigner, signer);
        }
    }

    [Fact]
    public async Task SqliteRowsStoredBeforeTheMigrationGetTheFlagsOfAFreshIngest() =>
        await RowsStoredBeforeGetTheFlagsOfAFreshIngestAsync(_folder.File("dmarc.db"), async () =>
        {
            var connection = new SqliteConnection($"Data Source={_folder.File("dmarc.db")};Pooling=false");
            await connection.OpenAsync(Ct);
            return connection;
        }, $"""
            DROP INDEX records_flags_missing;
            DROP INDEX records_further_signers;
            ALTER TABLE records DROP COLUMN flags;
            ALTER TABLE records DROP COLUMN own_signer;
            PRAGMA user_version = {AddsFlags};
            """);

    [Fact]
    public async Task PostgresRowsStoredBeforeTheMigrationGetTheFlagsOfAFreshIngest()
    {
        var url = await cluster.CreateDatabaseAsync();
        await RowsStoredBeforeGetTheFlagsOfAFreshIngestAsync(url, async () =>
        {
            var connection = new NpgsqlConnection(StoreLocation.Postgres(url).ConnectionString);
            await connection.OpenAsync(Ct);
            return connection;
        }, $"""
            DROP INDEX records_flags_missing;
            DROP INDEX records_further_signers;
            ALTER TABLE records DROP COLUMN flags, DROP COLUMN own_signer;
            UPDATE dmarc_schema SET version = {AddsFlags};
            """);
        Assert.Equal(PgSchema.Migrations.Count, Schema.Migrations.Count);
    }

    private static async Task RowsStoredBeforeGetTheFlagsOfAFreshIngestAsync(string database, Func<Task<DbConnection>> open, string backToBefore)
    {
        await using (var writer = await Store.OpenWriterAsync(database, Ct))
        {
            for (var i = 0; i < 2; i++)
            {
                var begin = new DateTimeOffset(2026, 3, 2 + i, 0, 0, 0, TimeSpan.Zero);
                var header = new ReportHeader(new ReportMetadata("receiver.example", null, null, $"r{i}", begin, begin.AddDays(1).AddSeconds(-1), [], null),
                    new PolicyPublished("example.com", null, null, "reject", null, null, null, null, null, null, null), null, null);
                await writer.AddAsync(header, Cases.Select(c => c.Record), ReadOnlyMemory<byte>.Empty, "test", ReportAuthentication.NotMail, Ct);
            }
        }
        var fresh = await FlagsAsync(open);
        Assert.Equal(Cases.Concat(Cases).Select(c => (c.Record.SourceIp, (long?)c.Flags, c.OwnSigner)), fresh.Select(f => (f.Ip, f.Flags, f.OwnSigner)));
        var (freshRecords, freshSigners) = await ReadAsync(database);

        await using (var connection = await open())
            await ExecuteAsync(connection, backToBefore);
        await (await Store.OpenAsync(database, Ct)).DisposeAsync();
        Assert.Equal(fresh, await FlagsAsync(open));

        // Rows a dmarc older than the migration stored after it: the report fills them in before it reads.
        await using (var connection = await open())
            await ExecuteAsync(connection, "UPDATE records SET flags = NULL, own_signer = NULL WHERE id % 2 = 0");
        var (records, signers) = await ReadAsync(database);
        Assert.Equal(freshRecords, records);
        Assert.Equal(freshSigners, signers);
        Assert.Equal(fresh, await FlagsAsync(open));
    }

    private static async Task<List<(long Id, string Ip, long? Flags, string? OwnSigner)>> FlagsAsync(Func<Task<DbConnection>> open)
    {
        await using var connection = await open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, source_ip, flags, own_signer FROM records ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<(long, string, long?, string?)>();
        while (await reader.ReadAsync(Ct))
            rows.Add((reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : Convert.ToInt64(reader.GetValue(2)),
                reader.IsDBNull(3) ? null : reader.GetString(3)));
        return rows;
    }

    /// <summary>What the analysis reads: each record's flags and own signer, and the further own signing domains.</summary>
    private static async Task<(List<string> Records, List<string> Signers)> ReadAsync(string database)
    {
        await using var store = await Store.OpenAsync(database, Ct);
        var all = new RecordFilter(null, 0, long.MaxValue);
        var records = new List<string>();
        var gate = new Lock();
        void Visit(long report, ReadOnlySpan<byte> ip, long count, int flags, ReadOnlySpan<byte> signer)
        {
            var row = $"{System.Text.Encoding.UTF8.GetString(ip)} {count} {flags} {System.Text.Encoding.UTF8.GetString(signer)}";
            lock (gate)
                records.Add(row);
        }
        await store.Records.ReadRecordsAsync(all, long.MaxValue, Visit, Visit, Ct);
        records.Sort(StringComparer.Ordinal);
        var signers = (await store.Records.FurtherSigningDomainsAsync(all, Ct))
            .Select(s => $"{s.SourceIp} {s.Domain} {s.Messages}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["192.0.2.6 other-esp.example 20", "192.0.2.8 esp.example 20"], signers);
        return (records, signers);
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }
}
