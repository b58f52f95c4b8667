using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>Flat rows for <c>dmarc export</c> on SQLite.</summary>
internal sealed class ExportQueries(SqliteConnection connection) : IExportQueries
{
    public async IAsyncEnumerable<RecordExportRow> RecordsAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        // DKIM and SPF results joined as "domain:selector:result" (SPF: "domain:scope:result"), space-separated, in
        // the report's order: the record's first result (its own columns), then the others (the side tables). Their
        // human_result texts and the override reasons ("type: comment") are free text, so those are joined with " | ",
        // one entry per result or reason in the same order (empty where a result has none).
        query.CommandText = $"""
            SELECT r.org_name, r.report_id, r.begin_utc, r.end_utc, r.domain, r.adkim, r.aspf, r.p, r.sp, r.np, r.pct,
                   rec.source_ip, rec.count, rec.disposition, rec.dkim_eval, rec.spf_eval,
                   rec.header_from, rec.envelope_from, rec.envelope_to,
                   {Joined("rec.dkim_domain", "rec.dkim_selector", "rec.dkim_result", "record_dkim", "selector")},
                   {Joined("rec.spf_domain", "rec.spf_scope", "rec.spf_result", "record_spf", "scope")},
                   {HumanResults("dkim_results")},
                   {HumanResults("spf_results")},
                   (SELECT group_concat(x.type || ifnull(': ' || x.comment, ''), ' | ' ORDER BY x.rowid)
                      FROM record_reasons x WHERE x.record = rec.id),
                   r.auth, r.auth_domains
            FROM records rec JOIN reports r ON r.id = rec.report
            ORDER BY r.begin_utc, r.id, rec.id
            """;
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new RecordExportRow(
                reader.GetString(0), reader.GetString(1), Time(reader.GetInt64(2)), Time(reader.GetInt64(3)), reader.GetString(4),
                Text(reader, 5), Text(reader, 6), Text(reader, 7), Text(reader, 8), Text(reader, 9), Number(reader, 10),
                reader.GetString(11), reader.GetInt64(12), Text(reader, 13), Text(reader, 14), Text(reader, 15),
                Text(reader, 16), Text(reader, 17), Text(reader, 18), Text(reader, 19), Text(reader, 20),
                Text(reader, 21), Text(reader, 22), Text(reader, 23))
            {
                Auth = Text(reader, 24),
                AuthDomains = Text(reader, 25),
            };
    }

    public async IAsyncEnumerable<ReportExportRow> ReportsAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT r.org_name, r.email, r.report_id, r.begin_utc, r.end_utc, r.domain, r.adkim, r.aspf, r.p, r.sp, r.np,
                   r.pct, r.fo, r.testing, r.discovery_method, r.psd, r.generator, r.version, r.xml_namespace, r.extra_contact,
                   r.errors,
                   (SELECT count(*) FROM records rec WHERE rec.report = r.id),
                   (SELECT CAST(min(total(rec.count), 9e18) AS INTEGER) FROM records rec WHERE rec.report = r.id),
                   r.source, r.ingested_utc, r.auth, r.auth_domains
            FROM reports r ORDER BY r.begin_utc, r.id
            """;
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new ReportExportRow(
                reader.GetString(0), Text(reader, 1), reader.GetString(2), Time(reader.GetInt64(3)), Time(reader.GetInt64(4)),
                reader.GetString(5), Text(reader, 6), Text(reader, 7), Text(reader, 8), Text(reader, 9), Text(reader, 10),
                Number(reader, 11), Text(reader, 12), Text(reader, 13), Text(reader, 14), Text(reader, 15),
                Text(reader, 16), Text(reader, 17), Text(reader, 18), Text(reader, 19), Text(reader, 20),
                reader.GetInt64(21), reader.GetInt64(22), reader.GetString(23), Time(reader.GetInt64(24)))
            {
                Auth = Text(reader, 25),
                AuthDomains = Text(reader, 26),
            };
    }

    private static string Joined(string domain, string detail, string result, string extras, string extraDetail) => $"""
        nullif(concat_ws(' ',
            {domain} || ':' || ifnull({detail}, '') || ':' || {result},
            (SELECT group_concat(x.domain || ':' || ifnull(x.{extraDetail}, '') || ':' || x.result, ' ' ORDER BY x.rowid)
               FROM {extras} x WHERE x.record = rec.id)), '')
        """;

    /// <summary>A record's human_result texts in its results' order; null when none of them has one.</summary>
    private static string HumanResults(string view) => $"""
        (SELECT CASE WHEN count(x.human_result) > 0
                     THEN group_concat(ifnull(x.human_result, ''), ' | ' ORDER BY x.position) END
           FROM {view} x WHERE x.record = rec.id)
        """;

    private static DateTimeOffset Time(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);

    private static string? Text(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static long? Number(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetInt64(i);
}
