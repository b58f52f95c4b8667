using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Data.Common;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DmarcAnalyzer.Storage;

/// <summary>A stored aggregate report's raw bytes as ingest kept them (gzip), for <c>dmarc reparse</c>.</summary>
internal sealed record StoredRaw(long Id, string Source, byte[] RawGzip);

/// <summary>What replacing a report's rows with a new reading did.</summary>
internal enum ReparseChange
{
    /// <summary>The new reading stores exactly the rows already there: nothing was written.</summary>
    Unchanged,

    /// <summary>The report's header or records differ now, and were replaced in one transaction.</summary>
    Changed,

    /// <summary>The new reading has the identity of another stored report: this one was left as it was.</summary>
    Conflict,
}

/// <summary>
/// <c>dmarc reparse</c>'s reads and writes: stored reports' raw bytes, a report's rows replaced in place (same id, so links
/// to it hold) only when they differ, and failures that now read as reports removed with their bytes. The same SQL on
/// SQLite and PostgreSQL but for the records, written as ingest writes them on each (<see cref="RecordInserter"/>,
/// <see cref="PgIngestWriter.InsertRecordsAsync"/>), and the side tables' order (SQLite's rowid, PostgreSQL's id). A record's
/// reasons and further results are deleted by name: on PostgreSQL they have no foreign key to cascade from (migration 13).
/// </summary>
internal sealed class ReparseQueries : IAsyncDisposable
{
    private readonly DbConnection _connection;
    private readonly NpgsqlDataSource? _postgres;
    private readonly RecordInserter? _records;

    private ReparseQueries(DbConnection connection, NpgsqlDataSource? postgres)
    {
        _connection = connection;
        _postgres = postgres;
        _records = connection is SqliteConnection sqlite ? new RecordInserter(sqlite) : null;
    }

    /// <summary>Opens the store <paramref name="database"/> names, on a connection of its own.</summary>
    public static async Task<ReparseQueries> OpenAsync(string database, CancellationToken ct)
    {
        if (!StoreLocation.IsPostgres(database))
            return new ReparseQueries(await Database.OpenAsync(database, ct), null);
        var source = await PgDatabase.OpenAsync(database, ct);
        try
        {
            return new ReparseQueries(await source.OpenConnectionAsync(ct), source);
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }
    }

    /// <summary>The ids of the aggregate reports stored since <paramref name="sinceUtc"/> (all with null), oldest first.</summary>
    public async Task<IReadOnlyList<long>> ReportIdsAsync(long? sinceUtc, CancellationToken ct)
    {
        await using var query = _connection.CreateCommand();
        query.CommandText = "SELECT id FROM reports WHERE CAST(@since AS BIGINT) IS NULL OR ingested_utc >= CAST(@since AS BIGINT) ORDER BY id";
        Sql.Add(query, "@since", (object?)sinceUtc ?? DBNull.Value);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var ids = new List<long>();
        while (await reader.ReadAsync(ct))
            ids.Add(reader.GetInt64(0));
        return ids;
    }

    public async Task<StoredRaw?> RawAsync(long id, CancellationToken ct)
    {
        await using var query = _connection.CreateCommand();
        query.CommandText = "SELECT id, source, raw_gzip FROM reports WHERE id = @id";
        Sql.Add(query, "@id", id);
        await using var reader = await query.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new StoredRaw(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2)) : null;
    }

    /// <summary>
    /// Replaces the report's header and records with <paramref name="header"/> and <paramref name="records"/> in one
    /// transaction, and keeps the change only when the stored rows differ from before (compared row by row through a
    /// digest, ids aside); the source, the time of ingest and the raw bytes stay.
    /// </summary>
    public async Task<ReparseChange> ReplaceAsync(long id, ReportHeader header, IEnumerable<ReportRecord> records, CancellationToken ct)
    {
        await using var transaction = await _connection.BeginTransactionAsync(ct);
        var before = await DigestAsync(id, transaction, ct);
        var m = header.Metadata;
        await using (var update = _connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE reports SET org_name = @org, email = @email, extra_contact = @extra, report_id = @rid, domain = @domain,
                    begin_utc = @begin, end_utc = @end, adkim = @adkim, aspf = @aspf, p = @p, sp = @sp, np = @np, pct = @pct, fo = @fo,
                    testing = @testing, discovery_method = @discovery, psd = @psd, generator = @generator, version = @version,
                    xml_namespace = @ns, errors = @errors
                WHERE id = @id;
                DELETE FROM record_reasons WHERE record IN (SELECT id FROM records WHERE report = @id);
                DELETE FROM record_dkim WHERE record IN (SELECT id FROM records WHERE report = @id);
                DELETE FROM record_spf WHERE record IN (SELECT id FROM records WHERE report = @id);
                DELETE FROM records WHERE report = @id;
                DELETE FROM report_results WHERE report = @id;
                """;
            Sql.AddHeader(update, header);
            Sql.Add(update, "@id", id);
            try
            {
                await update.ExecuteNonQueryAsync(ct);
            }
            catch (Exception e) when (StoreErrors.IsDuplicateKey(e))
            {
                // The identity (reporter, report id, domain, begin, end) is another report's.
                await transaction.RollbackAsync(ct);
                return ReparseChange.Conflict;
            }
        }
        if (_records is null)
        {
            var month = PgPartitions.MonthOf(m.Begin.ToUnixTimeSeconds());
            await PgPartitions.EnsureRecordsMonthAsync((NpgsqlConnection)_connection, (NpgsqlTransaction)transaction, month, ct);
            await PgIngestWriter.InsertRecordsAsync((NpgsqlConnection)_connection, (NpgsqlTransaction)transaction, id, month, records, ct);
        }
        else
        {
            _records.Start(id);
            foreach (var record in records)
            {
                ct.ThrowIfCancellationRequested();
                _records.Insert(record);
            }
            _records.Finish();
        }
        if (await DigestAsync(id, transaction, ct) == before)
        {
            await transaction.RollbackAsync(ct);
            return ReparseChange.Unchanged;
        }
        await transaction.CommitAsync(ct);
        return ReparseChange.Changed;
    }

    /// <summary>Removes a failure that now reads whole, and its bytes when no other failure shares them.</summary>
    public async Task RemoveFailureAsync(long id, CancellationToken ct)
    {
        await using var transaction = await _connection.BeginTransactionAsync(ct);
        await using var delete = _connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = """
            DELETE FROM failures WHERE id = @id RETURNING sha256
            """;
        Sql.Add(delete, "@id", id);
        if (await delete.ExecuteScalarAsync(ct) is string sha)
        {
            delete.CommandText = "DELETE FROM failure_blobs WHERE sha256 = @sha AND NOT EXISTS (SELECT 1 FROM failures WHERE sha256 = @sha)";
            delete.Parameters.Clear();
            Sql.Add(delete, "@sha", sha);
            await delete.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// A SHA-256 over everything stored of the report but ids, its source, time of ingest and raw bytes: the header,
    /// the records in order with their DKIM, SPF and override rows, and the summed result counts.
    /// </summary>
    private async Task<string> DigestAsync(long id, DbTransaction transaction, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var order = _records is null ? "id" : "rowid";
        string[] queries =
        [
            "SELECT * FROM reports WHERE id = @id",
            "SELECT * FROM records WHERE report = @id ORDER BY id",
            $"SELECT d.* FROM record_dkim d JOIN records r ON r.id = d.record WHERE r.report = @id ORDER BY r.id, d.{order}",
            $"SELECT s.* FROM record_spf s JOIN records r ON r.id = s.record WHERE r.report = @id ORDER BY r.id, s.{order}",
            $"SELECT x.* FROM record_reasons x JOIN records r ON r.id = x.record WHERE r.report = @id ORDER BY r.id, x.{order}",
            "SELECT * FROM report_results WHERE report = @id ORDER BY kind, value",
        ];
        foreach (var sql in queries)
        {
            await using var query = _connection.CreateCommand();
            query.Transaction = transaction;
            query.CommandText = sql;
            Sql.Add(query, "@id", id);
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    if (reader.GetName(i) is "id" or "report" or "record" or "source" or "ingested_utc" or "raw_gzip")
                        continue;
                    var value = reader.IsDBNull(i) ? "\u0000null" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture);
                    hash.AppendData(Encoding.UTF8.GetBytes($"{reader.GetName(i)}={value}\u0001"));
                }
                hash.AppendData("\u0002"u8);
            }
            hash.AppendData("\u0003"u8);
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    public async ValueTask DisposeAsync()
    {
        _records?.Dispose();
        await _connection.DisposeAsync();
        if (_postgres is not null)
            await _postgres.DisposeAsync();
    }
}
