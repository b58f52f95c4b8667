using System.IO.Compression;
using DmarcAnalyzer.Reports;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// Writes reports and failures. A report and all its rows are one transaction, so a crash leaves either
/// the whole report or none of it; its identity (reporter, report id, domain, begin, end) is a unique key,
/// so the same report ingested again is a duplicate that changes nothing.
/// </summary>
internal sealed class IngestWriter(SqliteConnection connection)
{
    /// <summary>
    /// Stores the report as its records stream from the reader. A reader that fails part-way throws, and the
    /// transaction rolls back: nothing of a broken report is kept but its failure.
    /// </summary>
    /// <returns>The number of records stored, or null when the store already had the report (its records are then not read).</returns>
    public async Task<long?> AddAsync(AggregateReportReader report, ReadOnlyMemory<byte> xml, string source, CancellationToken ct)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var reportId = await InsertReportAsync(report.Header, xml, source, transaction, ct);
        if (reportId is null)
            return null;
        var records = InsertRecords(reportId.Value, report.ReadRecords(), transaction, ct);
        await transaction.CommitAsync(ct);
        return records;
    }

    private async Task<long?> InsertReportAsync(
        ReportHeader report, ReadOnlyMemory<byte> xml, string source, SqliteTransaction transaction, CancellationToken ct)
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
                $testing, $discovery, $psd, $generator, $version, $ns, $errors, $source, $now, $raw)
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
        Add(insert, "$raw", Gzip(xml));
        return await insert.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    /// <summary>
    /// The hot path of a large report: prepared statements through SQLite's own API, and record ids assigned
    /// here (the transaction holds the write lock) instead of being read back row by row.
    /// </summary>
    private long InsertRecords(long reportId, IEnumerable<ReportRecord> records, SqliteTransaction transaction, CancellationToken ct)
    {
        using var next = connection.CreateCommand();
        next.Transaction = transaction;
        next.CommandText = "SELECT ifnull(max(id), 0) FROM records";
        var first = (long)next.ExecuteScalar()!;
        var recordId = first;
        using var record = new RawInsert(connection, """
            INSERT INTO records (id, report, source_ip, count, disposition, dkim_eval, spf_eval, header_from, envelope_from, envelope_to)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """);
        using var reason = new RawInsert(connection, "INSERT INTO record_reasons (record, type, comment) VALUES (?1, ?2, ?3)");
        using var dkim = new RawInsert(connection,
            "INSERT INTO record_dkim (record, domain, selector, result, human_result) VALUES (?1, ?2, ?3, ?4, ?5)");
        using var spf = new RawInsert(connection,
            "INSERT INTO record_spf (record, domain, scope, result, human_result) VALUES (?1, ?2, ?3, ?4, ?5)");

        foreach (var r in records)
        {
            if (++recordId % 4096 == 0)
                ct.ThrowIfCancellationRequested();
            record.Bind(1, recordId);
            record.Bind(2, reportId);
            record.Bind(3, r.SourceIp);
            record.Bind(4, r.Count);
            record.Bind(5, r.Disposition);
            record.Bind(6, r.DkimEvaluated);
            record.Bind(7, r.SpfEvaluated);
            record.Bind(8, r.HeaderFrom);
            record.Bind(9, r.EnvelopeFrom);
            record.Bind(10, r.EnvelopeTo);
            record.Execute();
            foreach (var o in r.Reasons)
            {
                reason.Bind(1, recordId);
                reason.Bind(2, o.Type);
                reason.Bind(3, o.Comment);
                reason.Execute();
            }
            foreach (var d in r.Dkim)
                InsertResult(dkim, recordId, d.Domain, d.Selector, d.Result, d.HumanResult);
            foreach (var f in r.Spf)
                InsertResult(spf, recordId, f.Domain, f.Scope, f.Result, f.HumanResult);
        }
        return recordId - first;
    }

    private static void InsertResult(RawInsert insert, long recordId, string domain, string? selectorOrScope, string result, string? human)
    {
        insert.Bind(1, recordId);
        insert.Bind(2, domain);
        insert.Bind(3, selectorOrScope);
        insert.Bind(4, result);
        insert.Bind(5, human);
        insert.Execute();
    }

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

    private static byte[] Gzip(ReadOnlyMemory<byte> xml)
    {
        using var buffer = new MemoryStream(xml.Length / 8 + 64);
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(xml.Span);
        return buffer.ToArray();
    }
}
