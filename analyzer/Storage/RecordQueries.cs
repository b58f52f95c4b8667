using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// Which reports a query reads: one policy domain or all, and a range of report begin times
/// (unix seconds UTC, <see cref="ToUtcExclusive"/> not included).
/// </summary>
internal sealed record RecordFilter(string? Domain, long FromUtc, long ToUtcExclusive);

/// <summary>
/// Records summed over everything the analysis tells apart. <see cref="Day"/> is the unix day number
/// (days since 1970-01-01) of the report's begin time: a report's records are all attributed to the day
/// its period begins, because aggregate reports say nothing finer (RFC 9990: one report covers one period,
/// usually one UTC day).
/// </summary>
internal sealed record RecordGroup(
    string Domain,
    long Day,
    string SourceIp,
    string Reporter,
    bool DkimAligned,
    bool SpfAligned,
    string Disposition,
    bool Forwarded,
    long Count);

/// <summary>A value (a result, disposition or reason) and the messages it applies to, per policy domain.</summary>
internal sealed record DomainValueCount(string Domain, string Value, long Count);

/// <summary>The policy the newest report of a domain in the period says was published.</summary>
internal sealed record PublishedPolicy(string Domain, string? P, string? Sp, string? Np, string? Testing);

/// <summary>Read queries over reports and records for the analysis. Values are stored lower-cased by ingest.</summary>
internal static class RecordQueries
{
    // A failing record counts as forwarded when the receiver said so (RFC 9990 PolicyOverrideType
    // forwarded / mailing_list), or when SPF failed outright while a DKIM signature of the From domain
    // (or of a parent or child of it) verified: the message was relayed and its signature survived,
    // though not in an aligned way the receiver accepted. Only evaluated for DMARC failures (CASE is lazy).
    private const string GroupsSql = """
        SELECT rp.domain, rp.begin_utc / 86400, r.source_ip, rp.org_name,
               r.dkim_eval = 'pass', r.spf_eval = 'pass', coalesce(r.disposition, 'unknown'),
               CASE WHEN r.dkim_eval = 'pass' OR r.spf_eval = 'pass' THEN 0
                    ELSE EXISTS (SELECT 1 FROM record_reasons x
                                  WHERE x.record = r.id AND x.type IN ('forwarded', 'mailing_list'))
                      OR (EXISTS (SELECT 1 FROM record_spf s WHERE s.record = r.id AND s.result = 'fail')
                          AND EXISTS (SELECT 1 FROM record_dkim d
                                       WHERE d.record = r.id AND d.result = 'pass' AND r.header_from IS NOT NULL
                                         AND (d.domain = r.header_from
                                              OR d.domain LIKE '%.' || r.header_from
                                              OR r.header_from LIKE '%.' || d.domain)))
               END,
               sum(r.count)
          FROM records r JOIN reports rp ON rp.id = r.report
         WHERE rp.begin_utc >= $from AND rp.begin_utc < $to AND ($domain IS NULL OR rp.domain = $domain)
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        """;

    public static async IAsyncEnumerable<RecordGroup> GroupsAsync(
        SqliteConnection db, RecordFilter filter, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = Command(db, GroupsSql, filter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return new RecordGroup(
                reader.GetString(0),
                reader.GetInt64(1),
                reader.GetString(2),
                reader.GetString(3),
                !reader.IsDBNull(4) && reader.GetInt64(4) != 0,
                !reader.IsDBNull(5) && reader.GetInt64(5) != 0,
                reader.GetString(6),
                !reader.IsDBNull(7) && reader.GetInt64(7) != 0,
                reader.GetInt64(8));
        }
    }

    /// <summary>Raw SPF results (auth_results/spf), each weighted by its record's message count.</summary>
    public static Task<IReadOnlyList<DomainValueCount>> SpfResultsAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct) =>
        ValueCountsAsync(db, filter, "record_spf x ON x.record = r.id", "x.result", ct);

    /// <summary>Raw DKIM results (auth_results/dkim), one per signature, weighted by the record's message count.</summary>
    public static Task<IReadOnlyList<DomainValueCount>> DkimResultsAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct) =>
        ValueCountsAsync(db, filter, "record_dkim x ON x.record = r.id", "x.result", ct);

    /// <summary>Override reasons receivers gave (policy_evaluated/reason/type).</summary>
    public static Task<IReadOnlyList<DomainValueCount>> ReasonsAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct) =>
        ValueCountsAsync(db, filter, "record_reasons x ON x.record = r.id", "x.type", ct);

    private static async Task<IReadOnlyList<DomainValueCount>> ValueCountsAsync(
        SqliteConnection db, RecordFilter filter, string join, string value, CancellationToken ct)
    {
        var sql = $"""
            SELECT rp.domain, {value}, sum(r.count)
              FROM records r JOIN reports rp ON rp.id = r.report JOIN {join}
             WHERE rp.begin_utc >= $from AND rp.begin_utc < $to AND ($domain IS NULL OR rp.domain = $domain)
             GROUP BY 1, 2
            """;
        await using var command = Command(db, sql, filter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<DomainValueCount>();
        while (await reader.ReadAsync(ct))
            rows.Add(new DomainValueCount(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return rows;
    }

    /// <summary>Per domain, the policy of its newest report in the period (SQLite takes the bare columns from the max row).</summary>
    public static async Task<IReadOnlyList<PublishedPolicy>> PoliciesAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct)
    {
        const string sql = """
            SELECT domain, p, sp, np, testing, max(begin_utc)
              FROM reports
             WHERE begin_utc >= $from AND begin_utc < $to AND ($domain IS NULL OR domain = $domain)
             GROUP BY domain
            """;
        await using var command = Command(db, sql, filter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<PublishedPolicy>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new PublishedPolicy(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return rows;
    }

    private static SqliteCommand Command(SqliteConnection db, string sql, RecordFilter filter)
    {
        var command = db.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$from", filter.FromUtc);
        command.Parameters.AddWithValue("$to", filter.ToUtcExclusive);
        command.Parameters.AddWithValue("$domain", (object?)filter.Domain ?? DBNull.Value);
        return command;
    }
}
