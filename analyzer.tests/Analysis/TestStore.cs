using DmarcAnalyzer.Storage;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>One record of a synthetic report; the evaluated results default to a DMARC pass.</summary>
internal sealed record TestRecord(
    string Ip,
    long Count,
    string DkimEval = "pass",
    string SpfEval = "pass",
    string Disposition = "none",
    string? HeaderFrom = null,
    string[]? Reasons = null,
    (string Domain, string Result)[]? Dkim = null,
    (string Domain, string Result)[]? Spf = null);

/// <summary>A store in a temporary folder, filled with SQL directly so the tests do not depend on ingest.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    private readonly string _folder;
    private int _reports;

    private TestStore(string folder, SqliteConnection db)
    {
        _folder = folder;
        Db = db;
    }

    public SqliteConnection Db { get; }

    public string DatabasePath => Path.Combine(_folder, "dmarc.db");

    public static async Task<TestStore> CreateAsync()
    {
        var folder = Directory.CreateTempSubdirectory("dmarc-analysis-").FullName;
        var db = await Database.OpenAsync(Path.Combine(folder, "dmarc.db"), CancellationToken.None);
        return new TestStore(folder, db);
    }

    /// <summary>Adds a report whose period is the UTC day <paramref name="day"/>.</summary>
    public async Task AddReportAsync(string domain, DateOnly day, IEnumerable<TestRecord> records,
        string org = "receiver.example", string? p = "none", string? sp = null, string? np = null)
    {
        var begin = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeSeconds();
        await using var transaction = (SqliteTransaction)await Db.BeginTransactionAsync();
        var reportId = await ScalarAsync(transaction, """
            INSERT INTO reports (org_name, report_id, domain, begin_utc, end_utc, p, sp, np, source, ingested_utc, raw_gzip)
            VALUES ($org, $rid, $domain, $begin, $end, $p, $sp, $np, 'test', 0, x'')
            RETURNING id
            """, ("$org", org), ("$rid", $"r{++_reports}"), ("$domain", domain), ("$begin", begin), ("$end", begin + 86399),
            ("$p", p), ("$sp", sp), ("$np", np));
        foreach (var r in records)
        {
            var recordId = await ScalarAsync(transaction, """
                INSERT INTO records (report, source_ip, count, disposition, dkim_eval, spf_eval, header_from)
                VALUES ($report, $ip, $count, $disp, $dkim, $spf, $from) RETURNING id
                """, ("$report", reportId), ("$ip", r.Ip), ("$count", r.Count), ("$disp", r.Disposition),
                ("$dkim", r.DkimEval), ("$spf", r.SpfEval), ("$from", r.HeaderFrom ?? domain));
            foreach (var reason in r.Reasons ?? [])
                await ScalarAsync(transaction, "INSERT INTO record_reasons (record, type) VALUES ($r, $t)", ("$r", recordId), ("$t", reason));
            foreach (var (d, result) in r.Dkim ?? [])
                await ScalarAsync(transaction, "INSERT INTO record_dkim (record, domain, result) VALUES ($r, $d, $x)", ("$r", recordId), ("$d", d), ("$x", result));
            foreach (var (d, result) in r.Spf ?? [])
                await ScalarAsync(transaction, "INSERT INTO record_spf (record, domain, result) VALUES ($r, $d, $x)", ("$r", recordId), ("$d", d), ("$x", result));
        }
        await transaction.CommitAsync();
    }

    private async Task<long> ScalarAsync(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Db.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L);
    }

    public async ValueTask DisposeAsync()
    {
        await Db.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
