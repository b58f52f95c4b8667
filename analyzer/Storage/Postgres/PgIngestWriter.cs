using System.Collections.Concurrent;
using System.Data;
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
/// counts a duplicate (ON CONFLICT DO NOTHING). The writer holds one connection for its life (taken again when it
/// breaks), so its statements stay prepared (auto-prepare, <see cref="Store.OpenWriterAsync"/>) and no pool reset runs
/// between reports. A small report goes in as one statement (<see cref="SmallReport"/>); a larger one's records by binary
/// COPY in batches, their ids drawn from the sequence beforehand so that the rows of further results can name them.
/// Every row carries the month of the report's begin (its partition, <see cref="PgPartitions"/>), made before the
/// report's transaction when this writer has not seen it.
/// </summary>
/// <param name="ownsSource">Whether disposing the writer closes the data source.</param>
internal sealed class PgIngestWriter(NpgsqlDataSource dataSource, bool ownsSource = false) : IIngestWriter
{
    /// <summary>Records per COPY: one round trip for the ids and four COPY streams for each batch.</summary>
    private const int BatchSize = 4096;

    /// <summary>
    /// Reports of up to this many records go in as one statement (the report, its records, their further results and
    /// the counts, with the ids drawn inside it): a COPY sets up tuple routing and its indexes' insert state per
    /// statement, which costs a small report more than its rows do.
    /// </summary>
    private const int SmallReport = 1000;

    /// <summary>
    /// XML up to this size is compressed before the report's row is written and goes in with it (one statement less per
    /// small report); larger XML is compressed on another thread while the records are written, then stored.
    /// </summary>
    private const int InlineRawLimit = 1 << 20;

    /// <summary>The record columns after id and report and before month (flags and own_signer follow it), as COPY and the small report's INSERT write them.</summary>
    private static readonly string[] RecordColumns =
    [
        "source_ip", "count", "disposition", "dkim_eval", "spf_eval", "header_from", "envelope_from", "envelope_to",
        "dkim_domain", "dkim_selector", "dkim_result", "dkim_human_result", "spf_domain", "spf_scope", "spf_result", "spf_human_result",
    ];

    private const string InsertReport = """
        INSERT INTO reports (org_name, email, extra_contact, report_id, domain, begin_utc, end_utc,
            adkim, aspf, p, sp, np, pct, fo, testing, discovery_method, psd, generator, version, xml_namespace,
            errors, source, ingested_utc, raw_gzip, auth, auth_domains, mail_from_domain)
        VALUES (@org, @email, @extra, @rid, @domain, @begin, @end, @adkim, @aspf, @p, @sp, @np, @pct, @fo,
            @testing, @discovery, @psd, @generator, @version, @ns, @errors, @source, @now, @raw, @auth, @authDomains, @fromDomain)
        ON CONFLICT (org_name, report_id, domain, begin_utc, end_utc) DO NOTHING
        RETURNING id
        """;

    /// <summary>
    /// A small report in one statement: the report's row (nothing when it is stored already, and then nothing else either),
    /// its record ids drawn for the records' positions (1..@n), the records and their further results by position, and
    /// the summed counts. One statement is one round trip and, prepared, one plan.
    /// </summary>
    private static readonly string InsertSmallReport = $"""
        WITH report AS (
        {InsertReport}
        ),
        ids AS MATERIALIZED (
            SELECT x.n, nextval(pg_get_serial_sequence('records', 'id')) AS id, report.id AS report
              FROM report, generate_series(1::bigint, @n) AS x (n)
        ),
        stored AS (
            INSERT INTO records (id, report, {string.Join(", ", RecordColumns)}, month, flags, own_signer)
            SELECT ids.id, ids.report, {string.Join(", ", RecordColumns.Select(c => "x." + c))}, @month, x.flags, x.own_signer
              FROM unnest({string.Join(", ", RecordColumns.Select(c => "@" + c))}, @flags, @own_signer)
                   WITH ORDINALITY AS x ({string.Join(", ", RecordColumns)}, flags, own_signer, n)
              JOIN ids USING (n)
        ),
        reasons AS (
            INSERT INTO record_reasons (record, type, comment, month)
            SELECT ids.id, x.type, x.comment, @month FROM unnest(@reasonOf, @reasonType, @reasonComment) AS x (n, type, comment) JOIN ids USING (n)
        ),
        dkim AS (
            INSERT INTO record_dkim (record, domain, selector, result, human_result, month)
            SELECT ids.id, x.domain, x.detail, x.result, x.human, @month
              FROM unnest(@dkimOf, @dkimDomain, @dkimDetail, @dkimResult, @dkimHuman) AS x (n, domain, detail, result, human) JOIN ids USING (n)
        ),
        spf AS (
            INSERT INTO record_spf (record, domain, scope, result, human_result, month)
            SELECT ids.id, x.domain, x.detail, x.result, x.human, @month
              FROM unnest(@spfOf, @spfDomain, @spfDetail, @spfResult, @spfHuman) AS x (n, domain, detail, result, human) JOIN ids USING (n)
        ),
        counts AS (
            INSERT INTO report_results (report, kind, value, messages)
            SELECT report.id, x.kind, x.value, x.messages FROM report, unnest(@kinds, @values, @messages) AS x (kind, value, messages)
        )
        SELECT id FROM report
        """;

    private readonly ConcurrentDictionary<int, bool> _months = new();
    private NpgsqlConnection? _connection;

    public async Task<long?> AddAsync(ReportHeader header, IEnumerable<ReportRecord> records, ReadOnlyMemory<byte> xml, string source,
        ReportAuthentication auth, CancellationToken ct, Action? beforeCommit = null)
    {
        var connection = await ConnectionAsync(ct);
        var month = PgPartitions.MonthOf(header.Metadata.Begin.ToUnixTimeSeconds());
        if (!_months.ContainsKey(month))
        {
            await PgPartitions.EnsureRecordsMonthAsync(connection, null, month, ct);
            _months.TryAdd(month, true);
        }
        var inline = xml.Length <= InlineRawLimit ? Gzip(xml) : null;
        using var reading = records.GetEnumerator();
        var first = new List<ReportRecord>();
        while (first.Count <= SmallReport && reading.MoveNext())
            first.Add(reading.Current);
        if (first.Count <= SmallReport && inline is not null)
            return await AddSmallAsync(connection, header, first, source, auth, inline, month, ct, beforeCommit);

        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (await InsertReportAsync(connection, transaction, header, source, auth, inline ?? [], ct) is not { } reportId)
            return null;
        var raw = inline is null ? Task.Run(() => Gzip(xml), CancellationToken.None) : null;
        long stored;
        try
        {
            stored = await InsertRecordsAsync(connection, transaction, reportId, month, first.Concat(Rest(reading)), ct);
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

    /// <summary>The writer's connection, opened again when the last one broke (the server restarted, a cancelled command).</summary>
    private async Task<NpgsqlConnection> ConnectionAsync(CancellationToken ct)
    {
        if (_connection is { State: ConnectionState.Open } open)
            return open;
        if (_connection is not null)
            await _connection.DisposeAsync();
        _connection = null;
        _connection = await dataSource.OpenConnectionAsync(ct);
        return _connection;
    }

    private static IEnumerable<ReportRecord> Rest(IEnumerator<ReportRecord> reading)
    {
        while (reading.MoveNext())
            yield return reading.Current;
    }

    private static async Task<long?> AddSmallAsync(NpgsqlConnection connection, ReportHeader header, List<ReportRecord> records, string source,
        ReportAuthentication auth, byte[] raw, int month, CancellationToken ct, Action? beforeCommit)
    {
        var positions = new long[records.Count];
        for (var i = 0; i < positions.Length; i++)
            positions[i] = i + 1;
        var counts = new ResultCounts();
        var details = Details.Of(positions, records, counts);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var insert = Pg.Command(connection, InsertSmallReport, transaction);
        AddReport(insert, header, source, auth, raw);
        Pg.Add(insert, "n", (long)records.Count);
        Pg.Add(insert, "month", month);
        Pg.Add(insert, "source_ip", records.Select(r => r.SourceIp).ToArray());
        Pg.Add(insert, "count", records.Select(r => r.Count).ToArray());
        foreach (var (column, value) in (ReadOnlySpan<(string, Func<ReportRecord, string?>)>)
                 [
                     ("disposition", r => r.Disposition), ("dkim_eval", r => r.DkimEvaluated), ("spf_eval", r => r.SpfEvaluated),
                     ("header_from", r => r.HeaderFrom), ("envelope_from", r => r.EnvelopeFrom), ("envelope_to", r => r.EnvelopeTo),
                     ("dkim_domain", r => r.Dkim.Length > 0 ? r.Dkim[0].Domain : null), ("dkim_selector", r => r.Dkim.Length > 0 ? r.Dkim[0].Selector : null),
                     ("dkim_result", r => r.Dkim.Length > 0 ? r.Dkim[0].Result : null), ("dkim_human_result", r => r.Dkim.Length > 0 ? r.Dkim[0].HumanResult : null),
                     ("spf_domain", r => r.Spf.Length > 0 ? r.Spf[0].Domain : null), ("spf_scope", r => r.Spf.Length > 0 ? r.Spf[0].Scope : null),
                     ("spf_result", r => r.Spf.Length > 0 ? r.Spf[0].Result : null), ("spf_human_result", r => r.Spf.Length > 0 ? r.Spf[0].HumanResult : null),
                 ])
            AddTexts(insert, column, records.Select(value));
        var flags = new int[records.Count];
        var ownSigners = new string?[records.Count];
        for (var i = 0; i < records.Count; i++)
            flags[i] = IngestedFlags.Of(records[i], out ownSigners[i]);
        Pg.Add(insert, "flags", flags);
        AddTexts(insert, "own_signer", ownSigners);
        Pg.Add(insert, "reasonOf", details.Reasons.Select(x => x.Record).ToArray());
        AddTexts(insert, "reasonType", details.Reasons.Select(x => x.Type));
        AddTexts(insert, "reasonComment", details.Reasons.Select(x => x.Comment));
        AddExtra(insert, "dkim", details.Dkim);
        AddExtra(insert, "spf", details.Spf);
        var sums = counts.Sums().ToList();
        AddTexts(insert, "kinds", sums.Select(x => x.Key.Kind));
        AddTexts(insert, "values", sums.Select(x => x.Key.Value));
        Pg.Add(insert, "messages", sums.Select(x => x.Value).ToArray());
        if (await insert.ExecuteScalarAsync(ct) is not long)
            return null;
        beforeCommit?.Invoke();
        await transaction.CommitAsync(ct);
        return records.Count;
    }

    /// <summary>A text[] parameter: typed, so that an empty array or one of NULLs is text[] too.</summary>
    private static void AddTexts(NpgsqlCommand command, string name, IEnumerable<string?> values) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() });

    private static void AddExtra(NpgsqlCommand command, string kind, List<(long Record, string Domain, string? Detail, string Result, string? Human)> rows)
    {
        Pg.Add(command, kind + "Of", rows.Select(x => x.Record).ToArray());
        AddTexts(command, kind + "Domain", rows.Select(x => x.Domain));
        AddTexts(command, kind + "Detail", rows.Select(x => x.Detail));
        AddTexts(command, kind + "Result", rows.Select(x => x.Result));
        AddTexts(command, kind + "Human", rows.Select(x => x.Human));
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
        await using var insert = Pg.Command(connection, InsertReport, transaction);
        AddReport(insert, report, source, auth, raw);
        return await insert.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    /// <summary>The parameters of <see cref="InsertReport"/>.</summary>
    private static void AddReport(NpgsqlCommand insert, ReportHeader report, string source, ReportAuthentication auth, byte[] raw)
    {
        Sql.AddHeader(insert, report);
        Pg.Add(insert, "source", source);
        Pg.Add(insert, "now", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Pg.Add(insert, "raw", raw);
        Pg.Add(insert, "auth", ReportAuthentication.Word(auth.Verdict));
        Pg.Add(insert, "authDomains", auth.DomainsText);
        Pg.Add(insert, "fromDomain", auth.FromDomain);
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

    private static readonly string CopyRecords =
        $"COPY records (id, report, {string.Join(", ", RecordColumns)}, month, flags, own_signer) FROM STDIN (FORMAT BINARY)";

    private static async Task CopyRecordsAsync(NpgsqlConnection connection, long reportId, int month, long[] ids, ReportRecord[] batch,
        CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync(CopyRecords, ct);
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
        var (reasons, dkim, spf) = Details.Of(ids, batch, counts);
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
        return await TlsReportWriter.AddAsync(await ConnectionAsync(ct), report, raw, source, auth, ct, beforeCommit);
    }

    public async Task<bool> AddFailureReportAsync(FailureReport report, ReadOnlyMemory<byte> raw, string source, ReportAuthentication auth,
        CancellationToken ct, Action? beforeCommit = null)
    {
        return await FailureReportWriter.AddAsync(await ConnectionAsync(ct), report, raw, source, auth, ct, beforeCommit);
    }

    /// <summary>As on SQLite: the same bytes from the same place are kept once, the bytes once whatever the places.</summary>
    public async Task AddFailureAsync(string source, string reason, RawInput raw, CancellationToken ct)
    {
        var connection = await ConnectionAsync(ct);
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

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
            await _connection.DisposeAsync();
        if (ownsSource)
            await dataSource.DisposeAsync();
    }

    /// <summary>
    /// What a batch of records holds besides their own rows, each row naming its record by <c>keys</c> (the record's id
    /// for COPY, its position for the small report's statement), with the records' share of the counts added.
    /// </summary>
    private sealed record Details(
        List<(long Record, string Type, string? Comment)> Reasons,
        List<(long Record, string Domain, string? Detail, string Result, string? Human)> Dkim,
        List<(long Record, string Domain, string? Detail, string Result, string? Human)> Spf)
    {
        public static Details Of(IReadOnlyList<long> keys, IReadOnlyList<ReportRecord> batch, ResultCounts counts)
        {
            var details = new Details([], [], []);
            for (var i = 0; i < batch.Count; i++)
            {
                var r = batch[i];
                var messages = Math.Clamp(r.Count, 0, RecordQueries.MaxCount);
                foreach (var o in r.Reasons)
                {
                    details.Reasons.Add((keys[i], o.Type, o.Comment));
                    counts.Add(ResultCounts.Reason, o.Type, messages);
                }
                for (var j = 0; j < r.Dkim.Length; j++)
                {
                    var d = r.Dkim[j];
                    if (j > 0)
                        details.Dkim.Add((keys[i], d.Domain, d.Selector, d.Result, d.HumanResult));
                    counts.Add(ResultCounts.Dkim, d.Result, messages);
                }
                for (var j = 0; j < r.Spf.Length; j++)
                {
                    var x = r.Spf[j];
                    if (j > 0)
                        details.Spf.Add((keys[i], x.Domain, x.Scope, x.Result, x.HumanResult));
                    counts.Add(ResultCounts.Spf, x.Result, messages);
                }
            }
            return details;
        }
    }
}
