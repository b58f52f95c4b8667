using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// Which reports a query reads: one policy domain or all, and a range of report begin times
/// (unix seconds UTC, <see cref="ToUtcExclusive"/> not included).
/// </summary>
internal sealed record RecordFilter(string? Domain, long FromUtc, long ToUtcExclusive);

/// <summary>A report's metadata and the policy it says was published.</summary>
internal sealed record StoredReport(long Id, string Domain, long BeginUtc, string OrgName, string? P, string? Sp, string? Np, string? Testing);

/// <summary>
/// One record, reduced to what the analysis tells apart; <see cref="Flags"/> packs the evaluated
/// results, the forwarded test and the disposition (see <see cref="RecordFlags"/>).
/// </summary>
internal readonly record struct StoredRecord(long Report, string SourceIp, long Count, int Flags);

internal static class RecordFlags
{
    public const int DkimAligned = 1;
    public const int SpfAligned = 2;
    public const int Forwarded = 4;
    public const int DispositionShift = 3;
    public const int DispositionMask = 3 << DispositionShift;

    /// <summary>The dispositions of RFC 9990 by their code; anything else reads as "other".</summary>
    public static readonly IReadOnlyList<string> Dispositions = ["none", "quarantine", "reject", "other"];
}

/// <summary>Messages per value of a raw result or reason, for one report.</summary>
internal sealed record ValueCountsOfReport(long Report, IReadOnlyList<long> Counts);

/// <summary>
/// Read queries for the analysis, shaped so that SQLite never sorts: records stream in index order
/// and are summed by the caller; result distributions are summed per report by conditional
/// aggregation over the values the RFCs define, in the order of the reports_begin index
/// (bench/README.md has the numbers). Values are stored lower-cased by ingest.
/// </summary>
internal static class RecordQueries
{
    /// <summary>auth_results/spf result values (RFC 9990 SPFResultType), then anything else.</summary>
    public static readonly IReadOnlyList<string> SpfResults = ["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"];

    /// <summary>auth_results/dkim result values (RFC 9990 DKIMResultType), then anything else.</summary>
    public static readonly IReadOnlyList<string> DkimResults = ["pass", "fail", "policy", "neutral", "none", "temperror", "permerror"];

    /// <summary>policy_evaluated/reason types (RFC 7489 Appendix C, RFC 9990), then anything else.</summary>
    public static readonly IReadOnlyList<string> ReasonTypes =
        ["forwarded", "sampled_out", "trusted_forwarder", "mailing_list", "local_policy", "policy_test_mode", "other"];

    /// <summary>
    /// A record's message count is clamped to 0..2^40 so that sums over millions of records cannot
    /// overflow, whatever a report claims.
    /// </summary>
    public const long MaxCount = 1L << 40;

    private const string PeriodWhere =
        "rp.begin_utc >= $from AND rp.begin_utc < $to AND ($domain IS NULL OR rp.domain = $domain)";

    public static async Task<IReadOnlyList<StoredReport>> ReportsAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct)
    {
        await using var command = Command(db, $"SELECT id, domain, begin_utc, org_name, p, sp, np, testing FROM reports rp WHERE {PeriodWhere}", filter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var reports = new List<StoredReport>();
        while (await reader.ReadAsync(ct))
        {
            reports.Add(new StoredReport(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3),
                Text(reader, 4), Text(reader, 5), Text(reader, 6), Text(reader, 7)));
        }
        return reports;
    }

    // A DMARC failure counts as forwarded when the receiver said so (override types forwarded and
    // mailing_list), or when SPF failed while a DKIM signature of the From domain (or of a parent or child
    // of it) verified: relayed mail whose signature survived, though not aligned as the receiver required.
    // CASE is lazy, so the lookups run for failures only.
    private const string RecordsSql = $"""
        SELECT r.report, r.source_ip, r.count,
               (r.dkim_eval IS 'pass') | ((r.spf_eval IS 'pass') << 1)
             | (CASE WHEN r.dkim_eval IS 'pass' OR r.spf_eval IS 'pass' THEN 0
                     WHEN EXISTS (SELECT 1 FROM record_reasons x WHERE x.record = r.id AND x.type IN ('forwarded', 'mailing_list'))
                       OR (EXISTS (SELECT 1 FROM record_spf s WHERE s.record = r.id AND s.result = 'fail')
                           AND EXISTS (SELECT 1 FROM record_dkim d
                                        WHERE d.record = r.id AND d.result = 'pass' AND r.header_from IS NOT NULL
                                          AND (d.domain = r.header_from OR d.domain LIKE '%.' || r.header_from
                                               OR r.header_from LIKE '%.' || d.domain))) THEN 4
                     ELSE 0 END)
             | (CASE r.disposition WHEN 'none' THEN 0 WHEN 'quarantine' THEN 8 WHEN 'reject' THEN 16 ELSE 24 END)
          FROM reports rp CROSS JOIN records r ON r.report = rp.id
         WHERE {PeriodWhere}
        """;

    public static async IAsyncEnumerable<StoredRecord> RecordsAsync(
        SqliteConnection db, RecordFilter filter, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = Command(db, RecordsSql, filter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new StoredRecord(reader.GetInt64(0), reader.GetString(1), Math.Clamp(reader.GetInt64(2), 0, MaxCount), reader.GetInt32(3));
    }

    public static Task<IReadOnlyList<ValueCountsOfReport>> SpfResultCountsAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct) =>
        ValueCountsAsync(db, filter, "record_spf", "result", SpfResults, ct);

    /// <summary>One count per signature, weighted by the record's message count.</summary>
    public static Task<IReadOnlyList<ValueCountsOfReport>> DkimResultCountsAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct) =>
        ValueCountsAsync(db, filter, "record_dkim", "result", DkimResults, ct);

    public static Task<IReadOnlyList<ValueCountsOfReport>> ReasonCountsAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct) =>
        ValueCountsAsync(db, filter, "record_reasons", "type", ReasonTypes, ct);

    /// <summary>Per report, messages per value of <paramref name="values"/>, and last the messages of any other value.</summary>
    private static async Task<IReadOnlyList<ValueCountsOfReport>> ValueCountsAsync(
        SqliteConnection db, RecordFilter filter, string table, string column, IReadOnlyList<string> values, CancellationToken ct)
    {
        // total(), not sum(): a hostile report's counts must not make SQLite fail with an integer overflow.
        var sums = string.Join(", ", values.Select(v => $"total(CASE WHEN x.{column} = '{v}' THEN r.count ELSE 0 END)"));
        var known = string.Join(", ", values.Select(v => $"'{v}'"));
        var sql = $"""
            SELECT rp.id, {sums}, total(CASE WHEN x.{column} NOT IN ({known}) THEN r.count ELSE 0 END)
              FROM reports rp CROSS JOIN records r ON r.report = rp.id CROSS JOIN {table} x ON x.record = r.id
             WHERE {PeriodWhere}
             GROUP BY rp.begin_utc, rp.id
            """;
        await using var command = Command(db, sql, filter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<ValueCountsOfReport>();
        while (await reader.ReadAsync(ct))
        {
            var counts = new long[values.Count + 1];
            for (var i = 0; i < counts.Length; i++)
                counts[i] = (long)Math.Clamp(reader.GetDouble(i + 1), 0, MaxCount * 1_000d);
            rows.Add(new ValueCountsOfReport(reader.GetInt64(0), counts));
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

    private static string? Text(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
}
