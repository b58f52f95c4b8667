using System.Collections.Concurrent;
using System.IO.Compression;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Failure;
using DmarcAnalyzer.Reports.Tls;
using Npgsql;
using NpgsqlTypes;

namespace DmarcAnalyzer.Storage.Postgres;

/// <summary>
/// The PostgreSQL <see cref="IIngestWriter"/>. A report and its rows are one transaction, as on SQLite; the report's
/// identity is a unique key, so when two hosts store the same report at once, the second waits for the first and then
/// counts a duplicate (ON CONFLICT DO NOTHING). Records go in by binary COPY in batches, their ids drawn from the
/// sequence beforehand so that the rows of further results can name them. Every row carries the month of the report's
/// begin (its partition, <see cref="PgPartitions"/>), made before the report's transaction when this writer has not seen it.
/// </summary>
/// <param name="ownsSource">Whether disposing the writer closes the data source.</param>
internal sealed class PgIngestWriter(NpgsqlDataSource dataSource, bool ownsSource = false) : IIngestWriter
{
    /// <summary>Records per COPY: one round trip for the ids and four COPY streams for each batch.</summary>
    private const int BatchSize = 4096;

    /// <summary>
    /// XML up to this size is compressed before the report's row is written and goes in with it (one statement less per
    /// small report); larger XML is compressed on another thread while the records are written, then stored.
    /// </summary>
    private const int InlineRawLimit = 1 << 20;

    private readonly ConcurrentDictionary<int, bool> _months = new();

    public async Task<long?> AddAsync(ReportHeader header, IEnumerable<ReportRecord> records, ReadOnlyMemory<byte> xml, string source,
        ReportAuthentication auth, CancellationToken ct, Action? beforeCommit = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var month = PgPartitions.MonthOf(header.Metadata.Begin.ToUnixTimeSeconds());
        if (!_months.ContainsKey(month))
        {
            await PgPartitions.EnsureRecordsMonthAsync(connection, null, month, ct);
            _months.TryAdd(month, true);
        }
        var inline = xml.Length <= InlineRawLimit ? Gzip(xml) : null;
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (await InsertReportAsync(connection, transaction, header, source, auth, inline ?? [], ct) is not { } reportId)
            return null;
        var raw = inline is null ? Task.Run(() => Gzip(xml), CancellationToken.None) : null;
        long stored;
        try
        {
            stored = await InsertRecordsAsync(connection, transaction, reportId, month, records, ct);
        }
        finally
        {
            if (raw is not null)
                await Task.WhenAny(raw);
        }
        if (raw is not null)
        {
            await using var update = Pg.Command(connection, "UPDATE reports SET raw_gzip = @raw WHERE id = @id", transaction);
            Pg.Add(update, "raw", await raw);
            Pg.Add(update, "id", reportId);
            await update.ExecuteNonQueryAsync(ct);
        }
        beforeCommit?.Invoke();
        await transaction.CommitAsync(ct);
        return stored;
    }

    /// <summary>
    /// Stores the records of report <paramref name="reportId"/> and their summed result counts, inside the caller's
    /// transaction (ingest, and <c>dmarc reparse</c> replacing a report's rows), in the partitions of
    /// <paramref name="month"/>; the number of records stored.
    /// </summary>
    internal static async Task<long> InsertRecordsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long reportId, int month,
        IEnumerable<ReportRecord> records, CancellationToken ct)
    {
        var counts = new ResultCounts();
        long stored = 0;
        foreach (var batch in records.Chunk(BatchSize))
        {
            ct.ThrowIfCancellationRequested();
            var ids = await IdsAsync(connection, transaction, batch.Length, ct);
            await CopyRecordsAsync(connection, reportId, month, ids, batch, ct);
            await CopyDetailsAsync(connection, month, ids, batch, counts, ct);
            stored += batch.Length;
        }
        await InsertCountsAsync(connection, transaction, reportId, counts, ct);
        return stored;
    }

    private static async Task<long?> InsertReportAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ReportHeader report,
        string source, ReportAuthentication auth, byte[] raw, CancellationToken ct)
    {
        await using var insert = Pg.Command(connection, """
            INSERT INTO reports (org_name, email, extra_contact, report_id, domain, begin_utc, end_utc,
                adkim, aspf, p, sp, np, pct, fo, testing, discovery_method, psd, generator, version, xml_namespace,
                errors, source, ingested_utc, raw_gzip, auth, auth_domains, mail_from_domain)
            VALUES (@org, @email, @extra, @rid, @domain, @begin, @end, @adkim, @aspf, @p, @sp, @np, @pct, @fo,
                @testing, @discovery, @psd, @generator, @version, @ns, @errors, @source, @now, @raw, @auth, @authDomains, @fromDomain)
            ON CONFLICT (org_name, report_id, domain, begin_utc, end_utc) DO NOTHING
            RETURNING id
            """, transaction);
        Sql.AddHeader(insert, report);
        Pg.Add(insert, "source", source);
        Pg.Add(insert, "now", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Pg.Add(insert, "raw", raw);
        Pg.Add(insert, "auth", ReportAuthentication.Word(auth.Verdict));
        Pg.Add(insert, "authDomains", auth.DomainsText);
        Pg.Add(insert, "fromDomain", auth.FromDomain);
        return await insert.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    /// <summary><paramref name="count"/> record ids from the sequence: distinct from every other writer's, whatever the hosts.</summary>
    private static async Task<long[]> IdsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int count, CancellationToken ct)
    {
        await using var query = Pg.Command(connection,
            "SELECT nextval(pg_get_serial_sequence('records', 'id')) FROM generate_series(1, @n)", transaction);
        Pg.Add(query, "n", count);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var ids = new long[count];
        for (var i = 0; await reader.ReadAsync(ct); i++)
            ids[i] = reader.GetInt64(0);
        return ids;
    }

    private static async Task CopyRecordsAsync(NpgsqlConnection connection, long reportId, int month, long[] ids, ReportRecord[] batch,
        CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync("""
            COPY records (id, report, source_ip, count, disposition, dkim_eval, spf_eval, header_from, envelope_from, envelope_to,
                dkim_domain, dkim_selector, dkim_result, dkim_human_result, spf_domain, spf_scope, spf_result, spf_human_result, month,
                flags, own_signer)
            FROM STDIN (FORMAT BINARY)
            """, ct);
        for (var i = 0; i < batch.Length; i++)
        {
            var r = batch[i];
            var dkim = r.Dkim.Length > 0 ? r.Dkim[0] : null;
            var spf = r.Spf.Length > 0 ? r.Spf[0] : null;
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(ids[i], NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(reportId, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(r.SourceIp, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(r.Count, NpgsqlDbType.Bigint, ct);
            foreach (var text in (string?[])[r.Disposition, r.DkimEvaluated, r.SpfEvaluated, r.HeaderFrom, r.EnvelopeFrom, r.EnvelopeTo,
                         dkim?.Domain, dkim?.Selector, dkim?.Result, dkim?.HumanResult, spf?.Domain, spf?.Scope, spf?.Result, spf?.HumanResult])
                await WriteTextAsync(copy, text, ct);
            await copy.WriteAsync(month, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(IngestedFlags.Of(r, out var ownSigner), NpgsqlDbType.Integer, ct);
            await WriteTextAsync(copy, ownSigner, ct);
        }
        await copy.CompleteAsync(ct);
    }

    /// <summary>The records' override reasons and their results after the first of each kind, and their share of the counts.</summary>
    private static async Task CopyDetailsAsync(NpgsqlConnection connection, int month, long[] ids, ReportRecord[] batch, ResultCounts counts,
        CancellationToken ct)
    {
        var reasons = new List<(long Record, string Type, string? Comment)>();
        var dkim = new List<(long Record, string Domain, string? Selector, string Result, string? Human)>();
        var spf = new List<(long Record, string Domain, string? Scope, string Result, string? Human)>();
        for (var i = 0; i < batch.Length; i++)
        {
            var r = batch[i];
            var messages = Math.Clamp(r.Count, 0, RecordQueries.MaxCount);
            foreach (var o in r.Reasons)
            {
                reasons.Add((ids[i], o.Type, o.Comment));
                counts.Add(ResultCounts.Reason, o.Type, messages);
            }
            for (var j = 0; j < r.Dkim.Length; j++)
            {
                var d = r.Dkim[j];
                if (j > 0)
                    dkim.Add((ids[i], d.Domain, d.Selector, d.Result, d.HumanResult));
                counts.Add(ResultCounts.Dkim, d.Result, messages);
            }
            for (var j = 0; j < r.Spf.Length; j++)
            {
                var s = r.Spf[j];
                if (j > 0)
                    spf.Add((ids[i], s.Domain, s.Scope, s.Result, s.HumanResult));
                counts.Add(ResultCounts.Spf, s.Result, messages);
            }
        }
        if (reasons.Count > 0)
        {
            await using var copy = await connection.BeginBinaryImportAsync(
                "COPY record_reasons (record, type, comment, month) FROM STDIN (FORMAT BINARY)", ct);
            foreach (var (record, type, comment) in reasons)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(record, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(type, NpgsqlDbType.Text, ct);
                await WriteTextAsync(copy, comment, ct);
                await copy.WriteAsync(month, NpgsqlDbType.Integer, ct);
            }
            await copy.CompleteAsync(ct);
        }
        await CopyExtraAsync(connection, "COPY record_dkim (record, domain, selector, result, human_result, month) FROM STDIN (FORMAT BINARY)",
            month, dkim, ct);
        await CopyExtraAsync(connection, "COPY record_spf (record, domain, scope, result, human_result, month) FROM STDIN (FORMAT BINARY)",
            month, spf, ct);
    }

    private static async Task CopyExtraAsync(NpgsqlConnection connection, string copyCommand, int month,
        List<(long Record, string Domain, string? Detail, string Result, string? Human)> rows, CancellationToken ct)
    {
        if (rows.Count == 0)
            return;
        await using var copy = await connection.BeginBinaryImportAsync(copyCommand, ct);
        foreach (var (record, domain, detail, result, human) in rows)
        {
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(record, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(domain, NpgsqlDbType.Text, ct);
            await WriteTextAsync(copy, detail, ct);
            await copy.WriteAsync(result, NpgsqlDbType.Text, ct);
            await WriteTextAsync(copy, human, ct);
            await copy.WriteAsync(month, NpgsqlDbType.Integer, ct);
        }
        await copy.CompleteAsync(ct);
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter copy, string? text, CancellationToken ct) =>
        text is null ? copy.WriteNullAsync(ct) : copy.WriteAsync(text, NpgsqlDbType.Text, ct);

    private static async Task InsertCountsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long reportId, ResultCounts counts,
        CancellationToken ct)
    {
        var sums = counts.Sums().ToList();
        if (sums.Count == 0)
            return;
        await using var insert = Pg.Command(connection, """
            INSERT INTO report_results (report, kind, value, messages)
            SELECT @report, k, v, m FROM unnest(@kinds, @values, @messages) AS x (k, v, m)
            """, transaction);
        Pg.Add(insert, "report", reportId);
        Pg.Add(insert, "kinds", sums.Select(s => s.Key.Kind).ToArray());
        Pg.Add(insert, "values", sums.Select(s => s.Key.Value).ToArray());
        Pg.Add(insert, "messages", sums.Select(s => s.Value).ToArray());
        await insert.ExecuteNonQueryAsync(ct);
    }

    public async Task<bool> AddTlsReportAsync(TlsReport report, ReadOnlyMemory<byte> raw, string source, ReportAuthentication auth, CancellationToken ct,
        Action? beforeCommit = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await TlsReportWriter.AddAsync(connection, report, raw, source, auth, ct, beforeCommit);
    }

    public async Task<bool> AddFailureReportAsync(FailureReport report, ReadOnlyMemory<byte> raw, string source, ReportAuthentication auth,
        CancellationToken ct, Action? beforeCommit = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await FailureReportWriter.AddAsync(connection, report, raw, source, auth, ct, beforeCommit);
    }

    /// <summary>As on SQLite: the same bytes from the same place are kept once, the bytes once whatever the places.</summary>
    public async Task AddFailureAsync(string source, string reason, RawInput raw, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var blob = Pg.Command(connection, "INSERT INTO failure_blobs (sha256, raw) VALUES (@sha, @raw) ON CONFLICT DO NOTHING", transaction))
        {
            Pg.Add(blob, "sha", raw.Sha256);
            Pg.Add(blob, "raw", raw.Bytes.ToArray());
            await blob.ExecuteNonQueryAsync(ct);
        }
        await using var insert = Pg.Command(connection, """
            INSERT INTO failures (sha256, source, reason, size, raw_truncated, created_utc)
            VALUES (@sha, @source, @reason, @size, @truncated, @now)
            ON CONFLICT DO NOTHING
            """, transaction);
        Pg.Add(insert, "sha", raw.Sha256);
        Pg.Add(insert, "source", source);
        Pg.Add(insert, "reason", reason);
        Pg.Add(insert, "size", raw.Size);
        Pg.Add(insert, "truncated", raw.Bytes.Length < raw.Size ? 1L : 0L);
        Pg.Add(insert, "now", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await insert.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }

    private static byte[] Gzip(ReadOnlyMemory<byte> xml)
    {
        using var buffer = new MemoryStream(xml.Length / 16 + 64);
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(xml.Span);
        return buffer.ToArray();
    }

    public ValueTask DisposeAsync() => ownsSource ? dataSource.DisposeAsync() : ValueTask.CompletedTask;
}
