using System.IO.Compression;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Failure;
using DmarcAnalyzer.Reports.Tls;
using DmarcAnalyzer.Storage.Fast;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// Writes reports and failures. A report and all its rows are one transaction, so a crash leaves either
/// the whole report or none of it; its identity (reporter, report id, domain, begin, end) is a unique key,
/// so the same report ingested again is a duplicate that changes nothing. The SQLite <see cref="IIngestWriter"/>.
/// </summary>
/// <param name="ownsConnection">Whether disposing the writer closes the connection.</param>
internal sealed class IngestWriter(SqliteConnection connection, bool ownsConnection = false) : IIngestWriter
{
    /// <summary>Opens the store at <paramref name="path"/> for a writer of its own.</summary>
    public static async Task<IngestWriter> OpenAsync(string path, CancellationToken ct)
    {
        var connection = await Database.OpenAsync(path, ct);
        // A small report's commit writes every page it changed to the WAL, and the records' source_ip index puts one
        // record in one leaf page: a report of 50 records changes about 80 pages. SQLite's default checkpoint (every
        // 1,000 pages, 2 fsyncs) then runs every dozen reports and copies the same index pages again each time; a
        // longer WAL copies each page once per many reports (bench/README.md, dmarc ingest of small reports).
        await Database.ExecuteAsync(connection, $"PRAGMA wal_autocheckpoint={WalPagesBeforeCheckpoint}", ct);
        return new IngestWriter(connection, ownsConnection: true);
    }

    /// <summary>64 MB of 4 KB pages.</summary>
    private const int WalPagesBeforeCheckpoint = 16384;

    private readonly RecordInserter _records = new(connection);

    /// <summary>Records wait for SQLite in batches of this many, at most <see cref="BatchesAhead"/> batches ahead.</summary>
    private const int BatchSize = 256;
    private const int BatchesAhead = 8;

    /// <summary>Reports of at least this much XML are parsed on another thread while SQLite stores them.</summary>
    private const int ParallelFrom = 1 << 20;

    /// <summary>
    /// The statements every report runs, prepared once for the writer's life: preparing them (SQL parsed, plan built)
    /// cost a small report more than storing its records.
    /// </summary>
    private ReportStatements? _statements;

    /// <summary>
    /// Stores the report as its records stream from the reader. A large report is parsed on one thread while SQLite
    /// stores its records on this one, and its raw XML compressed on a third; a small one is all done here, as
    /// handing it to other threads costs more than it saves. A reader that fails part-way throws, and the
    /// transaction rolls back: nothing of a broken report is kept but its failure.
    /// </summary>
    /// <returns>The number of records stored, or null when the store already had the report (its records are then not read).</returns>
    /// <param name="beforeCommit">Test seam: runs in the transaction just before its commit.</param>
    public async Task<long?> AddAsync(
        ReportHeader header, IEnumerable<ReportRecord> records, ReadOnlyMemory<byte> xml, string source, ReportAuthentication auth,
        CancellationToken ct, Action? beforeCommit = null)
    {
        ct.ThrowIfCancellationRequested();
        var statements = _statements ??= new ReportStatements(connection);
        // BEGIN IMMEDIATE: the write lock is held from here, so ids can be assigned.
        statements.Begin.Execute();
        try
        {
            var reportId = InsertReport(statements.Report, header, source);
            if (reportId is null)
            {
                statements.Rollback.Execute();
                return null;
            }
            MemoryStream compressed;
            _records.Start(reportId.Value);
            if (xml.Length >= ParallelFrom)
                compressed = await StoreLargeAsync(records, xml, ct);
            else
            {
                foreach (var record in records)
                    _records.Insert(record);
                _records.Finish();
                compressed = Gzip(xml);
            }
            statements.Raw.Bind(2, reportId.Value);
            statements.Raw.Bind(3, ReportAuthentication.Word(auth.Verdict));
            statements.Raw.Bind(4, auth.DomainsText);
            statements.Raw.Bind(5, auth.FromDomain);
            // Read by SQLite from the stream's own buffer: neither a trimmed copy nor one of SQLite's.
            statements.Raw.ExecuteWithBlob(1, compressed.GetBuffer(), (int)compressed.Length);
            beforeCommit?.Invoke();
            ct.ThrowIfCancellationRequested();
            statements.Commit.Execute();
            return _records.Inserted;
        }
        catch
        {
            // SQLite has already rolled back after some errors (a full disk, an I/O error).
            if (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
                statements.Rollback.Execute();
            throw;
        }
    }

    /// <summary>The records parsed a few batches ahead on another thread, the raw XML compressed on a third.</summary>
    private async Task<MemoryStream> StoreLargeAsync(IEnumerable<ReportRecord> records, ReadOnlyMemory<byte> xml, CancellationToken ct)
    {
        var raw = Task.Run(() => Gzip(xml), CancellationToken.None);
        try
        {
            await foreach (var batch in ReadAhead.BatchesAsync(records, BatchSize, BatchesAhead, ct))
            {
                ct.ThrowIfCancellationRequested();
                foreach (var record in batch)
                    _records.Insert(record);
            }
            _records.Finish();
        }
        finally
        {
            // Finished before the transaction goes, without replacing an error of the records with one of its own.
            await Task.WhenAny(raw);
        }
        return await raw;
    }

    /// <summary>The report's row, its raw XML still to come; null when the store already has the report.</summary>
    private static long? InsertReport(RawStatement insert, ReportHeader report, string source)
    {
        var m = report.Metadata;
        var p = report.Policy;
        insert.Bind(1, m.OrgName);
        insert.Bind(2, m.Email);
        insert.Bind(3, m.ExtraContactInfo);
        insert.Bind(4, m.ReportId);
        insert.Bind(5, p.Domain);
        insert.Bind(6, m.Begin.ToUnixTimeSeconds());
        insert.Bind(7, m.End.ToUnixTimeSeconds());
        insert.Bind(8, p.Adkim);
        insert.Bind(9, p.Aspf);
        insert.Bind(10, p.P);
        insert.Bind(11, p.Sp);
        insert.Bind(12, p.Np);
        insert.Bind(13, p.Pct);
        insert.Bind(14, p.Fo);
        insert.Bind(15, p.Testing);
        insert.Bind(16, p.DiscoveryMethod);
        insert.Bind(17, p.Psd);
        insert.Bind(18, m.Generator);
        insert.Bind(19, report.Version);
        insert.Bind(20, report.XmlNamespace);
        insert.Bind(21, m.Errors.Count == 0 ? null : string.Join("\n", m.Errors));
        insert.Bind(22, source);
        insert.Bind(23, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        // Row ids start at 1: no row (a duplicate ignored) reads as 0.
        return insert.Scalar() is var id and > 0 ? id : null;
    }

    /// <summary>The prepared statements of <see cref="AddAsync"/>.</summary>
    private sealed class ReportStatements(SqliteConnection connection) : IDisposable
    {
        public RawStatement Begin { get; } = new(connection, "BEGIN IMMEDIATE");
        public RawStatement Commit { get; } = new(connection, "COMMIT");
        public RawStatement Rollback { get; } = new(connection, "ROLLBACK");
        public RawStatement Report { get; } = new(connection, """
            INSERT OR IGNORE INTO reports (org_name, email, extra_contact, report_id, domain, begin_utc, end_utc,
                adkim, aspf, p, sp, np, pct, fo, testing, discovery_method, psd, generator, version, xml_namespace,
                errors, source, ingested_utc, raw_gzip)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, x'')
            RETURNING id
            """);
        public RawStatement Raw { get; } = new(connection,
            "UPDATE reports SET raw_gzip = ?1, auth = ?3, auth_domains = ?4, mail_from_domain = ?5 WHERE id = ?2");

        public void Dispose()
        {
            foreach (var statement in new[] { Begin, Commit, Rollback, Report, Raw })
                statement.Dispose();
        }
    }

    public Task<bool> AddTlsReportAsync(TlsReport report, ReadOnlyMemory<byte> raw, string source, ReportAuthentication auth, CancellationToken ct,
        Action? beforeCommit = null) =>
        TlsReportWriter.AddAsync(connection, report, raw, source, auth, ct, beforeCommit);

    public Task<bool> AddFailureReportAsync(FailureReport report, ReadOnlyMemory<byte> raw, string source, ReportAuthentication auth,
        CancellationToken ct, Action? beforeCommit = null) =>
        FailureReportWriter.AddAsync(connection, report, raw, source, auth, ct, beforeCommit);

    /// <summary>
    /// Keeps an input that could not be read. The same bytes from the same place are kept once, so a re-run
    /// after a crash adds nothing; the bytes themselves are stored once whatever the number of places.
    /// </summary>
    public async Task AddFailureAsync(string source, string reason, RawInput raw, CancellationToken ct)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using (var blob = connection.CreateCommand())
        {
            blob.Transaction = transaction;
            blob.CommandText = "SELECT 1 FROM failure_blobs WHERE sha256 = $sha";
            Add(blob, "$sha", raw.Sha256);
            if (await blob.ExecuteScalarAsync(ct) is null)
            {
                blob.CommandText = "INSERT INTO failure_blobs (sha256, raw) VALUES ($sha, $raw)";
                Add(blob, "$raw", raw.Bytes.ToArray());
                await blob.ExecuteNonQueryAsync(ct);
            }
        }
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT OR IGNORE INTO failures (sha256, source, reason, size, raw_truncated, created_utc)
            VALUES ($sha, $source, $reason, $size, $truncated, $now)
            """;
        Add(insert, "$sha", raw.Sha256);
        Add(insert, "$source", source);
        Add(insert, "$reason", reason);
        Add(insert, "$size", raw.Size);
        Add(insert, "$truncated", raw.Bytes.Length < raw.Size ? 1 : 0);
        Add(insert, "$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await insert.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }

    private static void Add(SqliteCommand command, string name, object? value) =>
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);

    private static MemoryStream Gzip(ReadOnlyMemory<byte> xml)
    {
        var buffer = new MemoryStream(xml.Length / 16 + 64);
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(xml.Span);
        return buffer;
    }

    public async ValueTask DisposeAsync()
    {
        _records.Dispose();
        _statements?.Dispose();
        if (ownsConnection)
            await connection.DisposeAsync();
    }
}
