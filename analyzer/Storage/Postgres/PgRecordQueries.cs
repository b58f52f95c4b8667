using System.Text;
using Npgsql;

namespace DmarcAnalyzer.Storage.Postgres;

/// <summary>
/// The record queries on PostgreSQL: the same rows and flags as <see cref="RecordQueries"/>. SQLite's <c>x IS 'pass'</c>
/// (false for NULL) is <c>x IS NOT DISTINCT FROM 'pass'</c> here, and its booleans are integers where PostgreSQL's are not.
/// </summary>
internal sealed class PgRecordQueries(NpgsqlDataSource source) : IRecordQueries
{
    private const string PeriodWhere =
        "rp.begin_utc >= @from AND rp.begin_utc < @to AND (@domain::text IS NULL OR rp.domain = @domain::text)";

    private static string Is(string column, string value) => $"({column} IS NOT DISTINCT FROM '{value}')";

    private static string Bit(string condition, int bit) => $"(CASE WHEN {condition} THEN {bit} ELSE 0 END)";

    /// <summary>As SQLite's: exact suffixes (right() gives the whole text when asked for more).</summary>
    private static string FromDomainPass(string result, string domain) => $"""
        ({Is(result, "pass")} AND r.header_from IS NOT NULL AND {domain} IS NOT NULL
             AND ({domain} = r.header_from OR right({domain}, length(r.header_from) + 1) = '.' || r.header_from
                  OR right(r.header_from, length({domain}) + 1) = '.' || {domain}))
        """;

    private static string OwnSignature(string result, string domain) => $"({Is(result, "pass")} AND NOT {FromDomainPass(result, domain)})";

    /// <summary>Ends the CASE chain of a failure: evaluated passes carry none of the failure flags.</summary>
    private static readonly string Passed = $"{Is("r.dkim_eval", "pass")} OR {Is("r.spf_eval", "pass")}";

    /// <summary>
    /// <see cref="RecordQueries.FillFlagsSql"/> in PostgreSQL's dialect: migration 14 over the stored rows, the report over
    /// what an older dmarc stored since. A record's side rows are in its month's partitions. The ARC comment is matched
    /// in any ASCII case, as SQLite's LIKE matches it.
    /// </summary>
    public static readonly string FillFlagsSql = $"""
        UPDATE records r SET
            own_signer = CASE WHEN r.dkim_domain IS NOT NULL AND {OwnSignature("r.dkim_result", "r.dkim_domain")} THEN r.dkim_domain END,
            flags = {Bit(Is("r.dkim_eval", "pass"), 1)} | {Bit(Is("r.spf_eval", "pass"), 2)}
                  | (CASE r.disposition WHEN 'none' THEN 0 WHEN 'quarantine' THEN 8 WHEN 'reject' THEN 16 ELSE 24 END)
                  | {Bit($"EXISTS (SELECT 1 FROM record_dkim d WHERE d.record = r.id AND d.month = r.month AND {OwnSignature("d.result", "d.domain")})", RecordFlags.FurtherOwnSigners)}
                  | (CASE WHEN {Passed} THEN 0
                          ELSE coalesce((SELECT max(CASE WHEN x.type = 'local_policy' AND strpos(lower(x.comment), 'arc=pass') > 0 THEN 36
                                                         WHEN x.type IN ('forwarded', 'trusted_forwarder', 'mailing_list') THEN 4 ELSE 0 END)
                                           FROM record_reasons x WHERE x.record = r.id AND x.month = r.month), 0)
                             | {Bit($"""
                                   ({Is("r.spf_result", "fail")} OR EXISTS (SELECT 1 FROM record_spf s WHERE s.record = r.id AND s.month = r.month AND s.result = 'fail'))
                                   AND ({FromDomainPass("r.dkim_result", "r.dkim_domain")}
                                        OR EXISTS (SELECT 1 FROM record_dkim d WHERE d.record = r.id AND d.month = r.month AND {FromDomainPass("d.result", "d.domain")}))
                                   """, RecordFlags.Forwarded)}
                             | {Bit($"""
                                   (r.dkim_domain IS NOT NULL AND {OwnSignature("r.dkim_result", "r.dkim_domain")})
                                   OR EXISTS (SELECT 1 FROM record_dkim d WHERE d.record = r.id AND d.month = r.month AND {OwnSignature("d.result", "d.domain")})
                                   """, RecordFlags.OwnDkimPass)}
                     END)
         WHERE r.flags IS NULL
        """;

    // The flags and the first own signing domain as ingest stored them (IngestedFlags; FillFlagsSql for older rows).
    private static readonly string RecordsSql = $"""
        SELECT r.report, r.source_ip, r.count, r.flags & {RecordFlags.Analysed}, r.own_signer
          FROM reports rp JOIN records r ON r.report = rp.id
         WHERE {PeriodWhere} AND rp.id >= @first AND rp.id < @end
        """;

    private const string Missing = $"""
        SELECT rp.id FROM reports rp
         WHERE {PeriodWhere} AND NOT EXISTS (SELECT 1 FROM report_results x WHERE x.report = rp.id)
           AND EXISTS (SELECT 1 FROM records r WHERE r.report = rp.id)
        """;

    private const string ResultsOfMissing = """
        SELECT r.report, 'spf' AS kind, r.spf_result AS value, least(r.count, 1099511627776) AS count FROM missing m JOIN records r ON r.report = m.id WHERE r.spf_result IS NOT NULL
        UNION ALL SELECT r.report, 'spf', x.result, least(r.count, 1099511627776) FROM missing m JOIN records r ON r.report = m.id JOIN record_spf x ON x.record = r.id
        UNION ALL SELECT r.report, 'dkim', r.dkim_result, least(r.count, 1099511627776) FROM missing m JOIN records r ON r.report = m.id WHERE r.dkim_result IS NOT NULL
        UNION ALL SELECT r.report, 'dkim', x.result, least(r.count, 1099511627776) FROM missing m JOIN records r ON r.report = m.id JOIN record_dkim x ON x.record = r.id
        UNION ALL SELECT r.report, 'reason', x.type, least(r.count, 1099511627776) FROM missing m JOIN records r ON r.report = m.id JOIN record_reasons x ON x.record = r.id
        """;

    public async Task<IReadOnlyList<StoredReport>> ReportsAsync(RecordFilter filter, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var command = Command(connection, $"SELECT id, domain, begin_utc, org_name, p, sp, np, testing, end_utc FROM reports rp WHERE {PeriodWhere}", filter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var reports = new List<StoredReport>();
        while (await reader.ReadAsync(ct))
            reports.Add(new StoredReport(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3),
                Pg.Text(reader, 4), Pg.Text(reader, 5), Pg.Text(reader, 6), Pg.Text(reader, 7)) { EndUtc = reader.GetInt64(8) });
        return reports;
    }

    /// <summary>As on SQLite: reports stored without their summed counts get them summed here from their records, once.</summary>
    public async Task<IReadOnlyList<ResultCountOfReport>> ResultCountsAsync(RecordFilter filter, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using (var missing = Command(connection, $"""
            WITH missing (id) AS ({Missing}), results AS ({ResultsOfMissing})
            INSERT INTO report_results (report, kind, value, messages)
            SELECT report, kind, value, least(sum(count), 9e18)::bigint FROM results GROUP BY report, kind, value
            ON CONFLICT DO NOTHING
            """, filter))
            await missing.ExecuteNonQueryAsync(ct);
        await using var command = Command(connection, $"""
            SELECT rp.id, x.kind, x.value, x.messages
              FROM reports rp JOIN report_results x ON x.report = rp.id
             WHERE {PeriodWhere}
            """, filter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<ResultCountOfReport>();
        while (await reader.ReadAsync(ct))
            rows.Add(new ResultCountOfReport(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                Math.Clamp(reader.GetInt64(3), 0, RecordQueries.MaxCount * 1_000)));
        return rows;
    }

    /// <summary>The two halves on two connections of the pool, side by side, as SQLite reads them on two connections.</summary>
    public async Task ReadRecordsAsync(RecordFilter filter, long middle, StoredRecordVisitor below, StoredRecordVisitor fromMiddle, CancellationToken ct)
    {
        await FillMissingFlagsAsync(ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var firstHalf = Task.Run(() => ReadAsync(filter, (long.MinValue, middle), below, stop.Token), stop.Token);
        try
        {
            await ReadAsync(filter, (middle, long.MaxValue), fromMiddle, ct);
        }
        catch
        {
            await stop.CancelAsync();
            await Task.WhenAny(firstHalf);
            throw;
        }
        await firstHalf;
    }

    private async Task ReadAsync(RecordFilter filter, (long From, long ToExclusive) reports, StoredRecordVisitor visit, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var command = Command(connection, RecordsSql, filter);
        Pg.Add(command, "first", reports.From);
        Pg.Add(command, "end", reports.ToExclusive);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        var ip = new byte[64];
        var signer = new byte[64];
        while (await reader.ReadAsync(ct))
        {
            var report = reader.GetInt64(0);
            var ipLength = Utf8(reader.GetString(1), ref ip);
            var count = Math.Clamp(reader.GetInt64(2), 0, RecordQueries.MaxCount);
            var flags = reader.GetInt32(3);
            var signerLength = await reader.IsDBNullAsync(4, ct) ? 0 : Utf8(reader.GetString(4), ref signer);
            visit(report, ip.AsSpan(0, ipLength), count, flags, signer.AsSpan(0, signerLength));
        }
    }

    /// <summary>The text as UTF-8 into <paramref name="buffer"/>, grown when too small (one buffer per column, reused); its length.</summary>
    private static int Utf8(string text, ref byte[] buffer)
    {
        if (Encoding.UTF8.GetMaxByteCount(text.Length) > buffer.Length)
            buffer = new byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
        return Encoding.UTF8.GetBytes(text, buffer);
    }

    // As on SQLite: passing signatures of a domain unrelated to the From domain, after each record's first (record_dkim;
    // the first comes with the records), of the records flagged FurtherOwnSigners (the partial index records_further_signers). Each record's count capped as the records' are, the sums saturated as SQLite's
    // caller saturates them.
    private static readonly string FurtherSigningDomainsSql = $"""
        SELECT r.source_ip, d.domain, least(sum(least(greatest(r.count, 0), {RecordQueries.MaxCount})), {RecordQueries.MaxSignedMessages})::bigint
          FROM reports rp JOIN records r ON r.report = rp.id AND r.flags & 128 <> 0 JOIN record_dkim d ON d.record = r.id AND d.month = r.month
         WHERE {PeriodWhere} AND {OwnSignature("d.result", "d.domain")}
         GROUP BY r.source_ip, d.domain
        """;

    /// <summary>Fills the flags of rows stored without them (<see cref="FillFlagsSql"/>); no write when there are none.</summary>
    private async Task FillMissingFlagsAsync(CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var command = Pg.Command(connection, "SELECT EXISTS (SELECT 1 FROM records WHERE flags IS NULL)");
        if (await command.ExecuteScalarAsync(ct) is true)
        {
            command.CommandText = FillFlagsSql;
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    public async Task<IReadOnlyList<SigningDomainCount>> FurtherSigningDomainsAsync(RecordFilter filter, CancellationToken ct)
    {
        await FillMissingFlagsAsync(ct);
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var command = Command(connection, FurtherSigningDomainsSql, filter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<SigningDomainCount>();
        while (await reader.ReadAsync(ct))
            rows.Add(new SigningDomainCount(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return rows;
    }

    public async Task<Dictionary<string, PtrCacheEntry>> PtrNamesAsync(CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var command = Pg.Command(connection, "SELECT ip, name, checked_utc FROM ptr_cache");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var entries = new Dictionary<string, PtrCacheEntry>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var entry = new PtrCacheEntry(reader.GetString(0), Pg.Text(reader, 1), reader.GetInt64(2));
            entries[entry.Ip] = entry;
        }
        return entries;
    }

    public async Task SavePtrNamesAsync(IReadOnlyCollection<PtrCacheEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0)
            return;
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var command = Pg.Command(connection, """
            INSERT INTO ptr_cache (ip, name, checked_utc) SELECT * FROM unnest(@ips, @names, @checked)
            ON CONFLICT (ip) DO UPDATE SET name = excluded.name, checked_utc = excluded.checked_utc
            """);
        Pg.Add(command, "ips", entries.Select(e => e.Ip).ToArray());
        Pg.Add(command, "names", entries.Select(e => e.Name).ToArray());
        Pg.Add(command, "checked", entries.Select(e => e.CheckedUtc).ToArray());
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<Dictionary<string, NetworkCacheEntry>> NetworkCacheAsync(string databases, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var command = Pg.Command(connection, "SELECT ip, asn, as_org, country FROM network_cache WHERE databases = @databases");
        Pg.Add(command, "databases", databases);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var entries = new Dictionary<string, NetworkCacheEntry>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            // As on SQLite: AS number 0 (reserved, RFC 7607) and empty text read back as none.
            var asn = Pg.Number(reader, 1);
            var entry = new NetworkCacheEntry(reader.GetString(0), asn == 0 ? null : asn, Empty(Pg.Text(reader, 2)), Empty(Pg.Text(reader, 3)));
            entries[entry.Ip] = entry;
        }
        return entries;
    }

    private static string? Empty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    public async Task SaveNetworkCacheAsync(string databases, IReadOnlyCollection<NetworkCacheEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0)
            return;
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var command = Pg.Command(connection, """
            INSERT INTO network_cache (ip, databases, asn, as_org, country) SELECT ip, @databases, asn, org, country FROM unnest(@ips, @asns, @orgs, @countries) AS x (ip, asn, org, country)
            ON CONFLICT (ip) DO UPDATE SET databases = excluded.databases, asn = excluded.asn, as_org = excluded.as_org, country = excluded.country
            """);
        Pg.Add(command, "databases", databases);
        Pg.Add(command, "ips", entries.Select(e => e.Ip).ToArray());
        Pg.Add(command, "asns", entries.Select(e => e.Asn).ToArray());
        Pg.Add(command, "orgs", entries.Select(e => e.AsOrg).ToArray());
        Pg.Add(command, "countries", entries.Select(e => e.Country).ToArray());
        await command.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, RecordFilter filter)
    {
        var command = Pg.Command(connection, sql);
        Pg.Add(command, "from", filter.FromUtc);
        Pg.Add(command, "to", filter.ToUtcExclusive);
        Pg.Add(command, "domain", filter.Domain);
        return command;
    }
}
