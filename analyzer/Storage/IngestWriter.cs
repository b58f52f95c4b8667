using System.IO.Compression;
using System.Security.Cryptography;
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
    /// <returns>True when the report is new, false when the store already had it.</returns>
    public async Task<bool> AddAsync(AggregateReport report, ReadOnlyMemory<byte> xml, string source, CancellationToken ct)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var reportId = await InsertReportAsync(report, xml, source, transaction, ct);
        if (reportId is null)
            return false;
        InsertRecords(reportId.Value, report.Records, transaction, ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    private async Task<long?> InsertReportAsync(
        AggregateReport report, ReadOnlyMemory<byte> xml, string source, SqliteTransaction transaction, CancellationToken ct)
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
    /// The hot path of a large report. Microsoft.Data.Sqlite's async methods complete synchronously anyway,
    /// so the rows go through prepared statements with the synchronous calls, and record ids are assigned
    /// here (the transaction holds the write lock) instead of being read back row by row.
    /// </summary>
    private void InsertRecords(long reportId, IReadOnlyList<ReportRecord> records, SqliteTransaction transaction, CancellationToken ct)
    {
        using var next = Prepare(transaction, "SELECT ifnull(max(id), 0) FROM records");
        var recordId = (long)next.ExecuteScalar()!;
        using var record = Prepare(transaction, """
            INSERT INTO records (id, report, source_ip, count, disposition, dkim_eval, spf_eval, header_from, envelope_from, envelope_to)
            VALUES ($id, $report, $ip, $count, $disposition, $dkim, $spf, $hfrom, $efrom, $eto)
            """, "$id", "$report", "$ip", "$count", "$disposition", "$dkim", "$spf", "$hfrom", "$efrom", "$eto");
        using var reason = Prepare(transaction,
            "INSERT INTO record_reasons (record, type, comment) VALUES ($record, $type, $comment)",
            "$record", "$type", "$comment");
        using var dkim = Prepare(transaction,
            "INSERT INTO record_dkim (record, domain, selector, result, human_result) VALUES ($record, $domain, $selector, $result, $human)",
            "$record", "$domain", "$selector", "$result", "$human");
        using var spf = Prepare(transaction,
            "INSERT INTO record_spf (record, domain, scope, result, human_result) VALUES ($record, $domain, $scope, $result, $human)",
            "$record", "$domain", "$scope", "$result", "$human");

        foreach (var r in records)
        {
            if (++recordId % 4096 == 0)
                ct.ThrowIfCancellationRequested();
            Bind(record, recordId, reportId, r.SourceIp, r.Count, r.Disposition, r.DkimEvaluated, r.SpfEvaluated, r.HeaderFrom, r.EnvelopeFrom, r.EnvelopeTo);
            record.ExecuteNonQuery();
            foreach (var o in r.Reasons)
            {
                Bind(reason, recordId, o.Type, o.Comment);
                reason.ExecuteNonQuery();
            }
            foreach (var d in r.Dkim)
            {
                Bind(dkim, recordId, d.Domain, d.Selector, d.Result, d.HumanResult);
                dkim.ExecuteNonQuery();
            }
            foreach (var f in r.Spf)
            {
                Bind(spf, recordId, f.Domain, f.Scope, f.Result, f.HumanResult);
                spf.ExecuteNonQuery();
            }
        }
    }

    /// <summary>
    /// Keeps an input that could not be read. The same bytes from the same place are kept once, so a re-run
    /// after a crash adds nothing.
    /// </summary>
    public async Task AddFailureAsync(string source, string reason, ReadOnlyMemory<byte> raw, long size, CancellationToken ct)
    {
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT OR IGNORE INTO failures (sha256, source, reason, size, raw, raw_truncated, created_utc)
            VALUES ($sha, $source, $reason, $size, $raw, $truncated, $now)
            """;
        Add(insert, "$sha", Convert.ToHexStringLower(SHA256.HashData(raw.Span)));
        Add(insert, "$source", source);
        Add(insert, "$reason", reason);
        Add(insert, "$size", size);
        Add(insert, "$raw", raw.ToArray());
        Add(insert, "$truncated", raw.Length < size ? 1 : 0);
        Add(insert, "$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await insert.ExecuteNonQueryAsync(ct);
    }

    private SqliteCommand Prepare(SqliteTransaction transaction, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in names)
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    private static void Bind(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
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
