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
    public static async Task<IngestWriter> OpenAsync(string path, CancellationToken ct) =>
        new(await Database.OpenAsync(path, ct), ownsConnection: true);

    private readonly RecordInserter _records = new(connection);

    /// <summary>Records wait for SQLite in batches of this many, at most <see cref="BatchesAhead"/> batches ahead.</summary>
    private const int BatchSize = 256;
    private const int BatchesAhead = 8;

    /// <summary>Reports of at least this much XML are parsed on another thread while SQLite stores them.</summary>
    private const int ParallelFrom = 1 << 20;

    /// <summary>
    /// Stores the report as its records stream from the reader: they are parsed on one thread while SQLite
    /// stores them on this one, and the raw XML is compressed on a third. A reader that fails part-way throws,
    /// and the transaction rolls back: nothing of a broken report is kept but its failure.
    /// </summary>
    /// <returns>The number of records stored, or null when the store already had the report (its records are then not read).</returns>
    /// <param name="beforeCommit">Test seam: runs in the transaction just before its commit.</param>
    public async Task<long?> AddAsync(
        ReportHeader header, IEnumerable<ReportRecord> records, ReadOnlyMemory<byte> xml, string source, CancellationToken ct,
        Action? beforeCommit = null)
    {
        // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default): the write lock is held from here, so ids can be assigned.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var reportId = await InsertReportAsync(header, source, transaction, ct);
        if (reportId is null)
            return null;
        // A small report is parsed and compressed here: handing it to other threads would cost more than it saves.
        var large = xml.Length >= ParallelFrom;
        var raw = large ? Task.Run(() => Gzip(xml), CancellationToken.None) : Task.FromResult(Gzip(xml));
        var batches = large ? ReadAhead.BatchesAsync(records, BatchSize, BatchesAhead, ct) : records.Chunk(BatchSize).ToAsyncEnumerable();
        try
        {
            _records.Start(reportId.Value);
            await foreach (var batch in batches)
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
        var compressed = await raw;
        using (var update = new RawStatement(connection, "UPDATE reports SET raw_gzip = ?1 WHERE id = ?2"))
        {
            update.Bind(2, reportId.Value);
            // Read by SQLite from the stream's own buffer: neither a trimmed copy nor one of SQLite's.
            update.ExecuteWithBlob(1, compressed.GetBuffer(), (int)compressed.Length);
        }
        beforeCommit?.Invoke();
        await transaction.CommitAsync(ct);
        return _records.Inserted;
    }

    /// <summary>The report's row, its raw XML still to come (compressed meanwhile); null when the store already has the report.</summary>
    private async Task<long?> InsertReportAsync(ReportHeader report, string source, SqliteTransaction transaction, CancellationToken ct)
    {
        var m = report.Metadata;
        var p = report.Policy;
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT OR IGNORE INTO reports (org_name, email, extra_contact, report_id, domain, begin_utc, end_utc,
                adkim, aspf, p, sp, np, pct, fo, testing, discovery_method, psd, generator, version, xml_namespace,
                errors, source, ingested_utc, raw_gzip)
            VALUES ($org, $email, $extra, $rid, $domain, $begin, $end, $adkim, $aspf, $p, $sp, $np, $pct, $fo,
                $testing, $discovery, $psd, $generator, $version, $ns, $errors, $source, $now, x'')
            RETURNING id
            """;
        Add(insert, "$org", m.OrgName);
        Add(insert, "$email", m.Email);
        Add(insert, "$extra", m.ExtraContactInfo);
        Add(insert, "$rid", m.ReportId);
        Add(insert, "$domain", p.Domain);
        Add(insert, "$begin", m.Begin.ToUnixTimeSeconds());
        Add(insert, "$end", m.End.ToUnixTimeSeconds());
        Add(insert, "$adkim", p.Adkim);
        Add(insert, "$aspf", p.Aspf);
        Add(insert, "$p", p.P);
        Add(insert, "$sp", p.Sp);
        Add(insert, "$np", p.Np);
        Add(insert, "$pct", p.Pct);
        Add(insert, "$fo", p.Fo);
        Add(insert, "$testing", p.Testing);
        Add(insert, "$discovery", p.DiscoveryMethod);
        Add(insert, "$psd", p.Psd);
        Add(insert, "$generator", m.Generator);
        Add(insert, "$version", report.Version);
        Add(insert, "$ns", report.XmlNamespace);
        Add(insert, "$errors", m.Errors.Count == 0 ? null : string.Join("\n", m.Errors));
        Add(insert, "$source", source);
        Add(insert, "$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        return await insert.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    public Task<bool> AddTlsReportAsync(TlsReport report, ReadOnlyMemory<byte> raw, string source, CancellationToken ct, Action? beforeCommit = null) =>
        TlsReportWriter.AddAsync(connection, report, raw, source, ct, beforeCommit);

    public Task<bool> AddFailureReportAsync(FailureReport report, ReadOnlyMemory<byte> raw, string source, CancellationToken ct, Action? beforeCommit = null) =>
        FailureReportWriter.AddAsync(connection, report, raw, source, ct, beforeCommit);

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
        if (ownsConnection)
            await connection.DisposeAsync();
    }
}
