using Npgsql;

namespace DmarcAnalyzer.Storage.Postgres;

/// <summary>
/// <c>dmarc export</c>'s rows on PostgreSQL, the same columns as <see cref="ExportQueries"/>: string_agg for SQLite's
/// group_concat, the side tables' ids for its rowid order. A record's further rows are looked up in its own month: without
/// the month every month's partition of each side table is probed for every record.
/// </summary>
internal sealed class PgExportQueries(NpgsqlDataSource source) : IExportQueries
{
    public async IAsyncEnumerable<RecordExportRow> RecordsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var query = Pg.Command(connection, $"""
            SELECT r.org_name, r.report_id, r.begin_utc, r.end_utc, r.domain, r.adkim, r.aspf, r.p, r.sp, r.np, r.pct,
                   rec.source_ip, rec.count, rec.disposition, rec.dkim_eval, rec.spf_eval,
                   rec.header_from, rec.envelope_from, rec.envelope_to,
                   {Joined("rec.dkim_domain", "rec.dkim_selector", "rec.dkim_result", "record_dkim", "selector")},
                   {Joined("rec.spf_domain", "rec.spf_scope", "rec.spf_result", "record_spf", "scope")},
                   {HumanResults("rec.dkim_result", "rec.dkim_human_result", "record_dkim")},
                   {HumanResults("rec.spf_result", "rec.spf_human_result", "record_spf")},
                   (SELECT string_agg(x.type || coalesce(': ' || x.comment, ''), ' | ' ORDER BY x.id)
                      FROM record_reasons x WHERE x.record = rec.id AND x.month = rec.month),
                   r.auth, r.auth_domains
            FROM records rec JOIN reports r ON r.id = rec.report
            ORDER BY r.begin_utc, r.id, rec.id
            """);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new RecordExportRow(
                reader.GetString(0), reader.GetString(1), Time(reader.GetInt64(2)), Time(reader.GetInt64(3)), reader.GetString(4),
                Pg.Text(reader, 5), Pg.Text(reader, 6), Pg.Text(reader, 7), Pg.Text(reader, 8), Pg.Text(reader, 9), Pg.Number(reader, 10),
                reader.GetString(11), reader.GetInt64(12), Pg.Text(reader, 13), Pg.Text(reader, 14), Pg.Text(reader, 15),
                Pg.Text(reader, 16), Pg.Text(reader, 17), Pg.Text(reader, 18), Pg.Text(reader, 19), Pg.Text(reader, 20),
                Pg.Text(reader, 21), Pg.Text(reader, 22), Pg.Text(reader, 23))
            {
                Auth = Pg.Text(reader, 24),
                AuthDomains = Pg.Text(reader, 25),
            };
    }

    public async IAsyncEnumerable<ReportExportRow> ReportsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var query = Pg.Command(connection, """
            SELECT r.org_name, r.email, r.report_id, r.begin_utc, r.end_utc, r.domain, r.adkim, r.aspf, r.p, r.sp, r.np,
                   r.pct, r.fo, r.testing, r.discovery_method, r.psd, r.generator, r.version, r.xml_namespace, r.extra_contact,
                   r.errors,
                   (SELECT count(*) FROM records rec WHERE rec.report = r.id),
                   (SELECT least(coalesce(sum(rec.count), 0), 9e18)::bigint FROM records rec WHERE rec.report = r.id),
                   r.source, r.ingested_utc, r.auth, r.auth_domains
            FROM reports r ORDER BY r.begin_utc, r.id
            """);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new ReportExportRow(
                reader.GetString(0), Pg.Text(reader, 1), reader.GetString(2), Time(reader.GetInt64(3)), Time(reader.GetInt64(4)),
                reader.GetString(5), Pg.Text(reader, 6), Pg.Text(reader, 7), Pg.Text(reader, 8), Pg.Text(reader, 9), Pg.Text(reader, 10),
                Pg.Number(reader, 11), Pg.Text(reader, 12), Pg.Text(reader, 13), Pg.Text(reader, 14), Pg.Text(reader, 15),
                Pg.Text(reader, 16), Pg.Text(reader, 17), Pg.Text(reader, 18), Pg.Text(reader, 19), Pg.Text(reader, 20),
                reader.GetInt64(21), reader.GetInt64(22), reader.GetString(23), Time(reader.GetInt64(24)))
            {
                Auth = Pg.Text(reader, 25),
                AuthDomains = Pg.Text(reader, 26),
            };
    }

    private static string Joined(string domain, string detail, string result, string extras, string extraDetail) => $"""
        nullif(concat_ws(' ',
            {domain} || ':' || coalesce({detail}, '') || ':' || {result},
            (SELECT string_agg(x.domain || ':' || coalesce(x.{extraDetail}, '') || ':' || x.result, ' ' ORDER BY x.id)
               FROM {extras} x WHERE x.record = rec.id AND x.month = rec.month)), '')
        """;

    /// <summary>
    /// The human results of the record's own result (when it has one) and its further ones, as the dkim_results and
    /// spf_results views list them, read here from the record's month only.
    /// </summary>
    private static string HumanResults(string result, string human, string extras) => $"""
        (SELECT CASE WHEN count(x.human_result) > 0
                     THEN string_agg(coalesce(x.human_result, ''), ' | ' ORDER BY x.position) END
           FROM (SELECT 0::bigint, {human} WHERE {result} IS NOT NULL
                 UNION ALL
                 SELECT y.id, y.human_result FROM {extras} y WHERE y.record = rec.id AND y.month = rec.month) AS x (position, human_result))
        """;

    private static DateTimeOffset Time(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);
}
