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

/// <summary>The smallest and largest record id of a set of reports: the range the record scans read.</summary>
internal sealed record RecordIdRange(long First, long Last);

internal sealed record StoredRecord(
    long Id, long Report, string SourceIp, long Count, bool DkimAligned, bool SpfAligned, string Disposition, string? HeaderFrom);

/// <summary>One row of record_spf, record_dkim (with the signing domain) or record_reasons (the type as result).</summary>
internal sealed record RecordDetail(long Record, string Value, string? Domain);

/// <summary>
/// Read queries for the analysis. Records are read in id order within the id range of the period's
/// reports, and their SPF, DKIM and reason rows in the same order through covering indexes, so the
/// caller merges the streams without SQLite sorting or grouping a million rows (see bench/README.md).
/// Rows of reports outside the period that fall inside the range are the caller's to skip.
/// Values are stored lower-cased by ingest.
/// </summary>
internal static class RecordQueries
{
    public static async Task<(IReadOnlyList<StoredReport> Reports, RecordIdRange? Range)> ReportsAsync(
        SqliteConnection db, RecordFilter filter, CancellationToken ct)
    {
        const string sql = """
            SELECT id, domain, begin_utc, org_name, p, sp, np, testing,
                   (SELECT min(id) FROM records WHERE report = reports.id),
                   (SELECT max(id) FROM records WHERE report = reports.id)
              FROM reports
             WHERE begin_utc >= $from AND begin_utc < $to AND ($domain IS NULL OR domain = $domain)
            """;
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$from", filter.FromUtc);
        command.Parameters.AddWithValue("$to", filter.ToUtcExclusive);
        command.Parameters.AddWithValue("$domain", (object?)filter.Domain ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var reports = new List<StoredReport>();
        long first = long.MaxValue, last = long.MinValue;
        while (await reader.ReadAsync(ct))
        {
            reports.Add(new StoredReport(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3),
                Text(reader, 4), Text(reader, 5), Text(reader, 6), Text(reader, 7)));
            if (!reader.IsDBNull(8))
            {
                first = Math.Min(first, reader.GetInt64(8));
                last = Math.Max(last, reader.GetInt64(9));
            }
        }
        return (reports, first <= last ? new RecordIdRange(first, last) : null);
    }

    public static async IAsyncEnumerable<StoredRecord> RecordsAsync(
        SqliteConnection db, RecordIdRange range, [EnumeratorCancellation] CancellationToken ct)
    {
        const string sql = """
            SELECT id, report, source_ip, count, dkim_eval = 'pass', spf_eval = 'pass', coalesce(disposition, 'unknown'), header_from
              FROM records WHERE id BETWEEN $first AND $last ORDER BY id
            """;
        await using var command = RangeCommand(db, sql, range);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return new StoredRecord(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3),
                !reader.IsDBNull(4) && reader.GetInt64(4) != 0, !reader.IsDBNull(5) && reader.GetInt64(5) != 0,
                reader.GetString(6), Text(reader, 7));
        }
    }

    /// <summary>Raw SPF results (auth_results/spf): value is the result.</summary>
    public static IAsyncEnumerable<RecordDetail> SpfAsync(SqliteConnection db, RecordIdRange range, CancellationToken ct) =>
        DetailsAsync(db, "SELECT record, result, NULL FROM record_spf WHERE record BETWEEN $first AND $last ORDER BY record", range, ct);

    /// <summary>Raw DKIM results (auth_results/dkim): value is the result, with the signing domain.</summary>
    public static IAsyncEnumerable<RecordDetail> DkimAsync(SqliteConnection db, RecordIdRange range, CancellationToken ct) =>
        DetailsAsync(db, "SELECT record, result, domain FROM record_dkim WHERE record BETWEEN $first AND $last ORDER BY record", range, ct);

    /// <summary>Override reasons (policy_evaluated/reason): value is the type.</summary>
    public static IAsyncEnumerable<RecordDetail> ReasonsAsync(SqliteConnection db, RecordIdRange range, CancellationToken ct) =>
        DetailsAsync(db, "SELECT record, type, NULL FROM record_reasons WHERE record BETWEEN $first AND $last ORDER BY record", range, ct);

    private static async IAsyncEnumerable<RecordDetail> DetailsAsync(
        SqliteConnection db, string sql, RecordIdRange range, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = RangeCommand(db, sql, range);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new RecordDetail(reader.GetInt64(0), reader.GetString(1), Text(reader, 2));
    }

    private static SqliteCommand RangeCommand(SqliteConnection db, string sql, RecordIdRange range)
    {
        var command = db.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$first", range.First);
        command.Parameters.AddWithValue("$last", range.Last);
        return command;
    }

    private static string? Text(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
}
