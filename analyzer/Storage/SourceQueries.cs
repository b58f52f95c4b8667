using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>Messages from one source on one day as one reporter saw them for one policy domain.</summary>
internal sealed record SourceDay(string Reporter, DateOnly Day, string Domain, long Messages, long DmarcPass, string Dispositions);

/// <summary>An authentication result the reports give for a source: a DKIM domain and selector, or an SPF domain and scope.</summary>
internal sealed record SourceAuth(string Domain, string? Detail, string Result, long Messages);

internal sealed record SourceReport(long Id, string Reporter, string ReportId, string Domain, DateTimeOffset Begin, long Messages);

/// <summary>What the records read for a source add up to; <see cref="Capped"/> when they are the newest of more.</summary>
internal sealed record SourceTotals(long Records, long Messages, long DmarcPass, DateOnly? First, DateOnly? Last)
{
    public bool Capped => Records >= SourceQueries.MaxRecords;
}

internal sealed record SourceRecords(
    string Ip, string? PtrName, SourceTotals Totals, IReadOnlyList<SourceDay> Days, IReadOnlyList<SourceAuth> Dkim, IReadOnlyList<SourceAuth> Spf,
    IReadOnlyList<SourceReport> Reports);

/// <summary>
/// The reports and records that mention one source address in a period: its newest <see cref="MaxRecords"/> records
/// (newest stored first), found through the index on records(source_ip) walked from its end, so that a source in
/// every report costs no more than a rare one.
/// </summary>
internal sealed class SourceQueries(DbConnection connection)
{
    public const int MaxRows = 500;

    public const int MaxRecords = 5000;

    /// <summary>The records read, with their report's fields, as a CTE each query starts from.</summary>
    private const string Picked = """
        WITH picked AS (
            SELECT r.id, r.count, r.disposition, r.dkim_eval, r.spf_eval, r.dkim_domain, r.dkim_selector, r.dkim_result,
                   r.spf_domain, r.spf_scope, r.spf_result, rp.id AS report, rp.org_name, rp.report_id, rp.domain, rp.begin_utc
              FROM records r JOIN reports rp ON rp.id = r.report
             WHERE r.source_ip = @ip AND rp.begin_utc >= @from AND rp.begin_utc < @to
             ORDER BY r.id DESC LIMIT @cap)
        """;

    private const string Passes = "CASE WHEN dkim_eval = 'pass' OR spf_eval = 'pass' THEN count ELSE 0 END";

    public async Task<SourceRecords> ForAddressAsync(string ip, long fromUtc, long toUtcExclusive, CancellationToken ct)
    {
        string? ptr = null;
        await using (var name = Command("SELECT name FROM ptr_cache WHERE ip = @ip", ip, fromUtc, toUtcExclusive))
            ptr = await name.ExecuteScalarAsync(ct) as string;

        SourceTotals totals;
        await using (var query = Command($"""
            {Picked}
            SELECT count(*), {Sql.SaturatedSum(connection, "count")}, {Sql.SaturatedSum(connection, Passes)}, min(begin_utc), max(begin_utc)
              FROM picked
            """, ip, fromUtc, toUtcExclusive))
        await using (var reader = await query.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            totals = new SourceTotals(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2),
                reader.IsDBNull(3) ? null : Day(reader.GetInt64(3) / 86400), reader.IsDBNull(4) ? null : Day(reader.GetInt64(4) / 86400));
        }

        var days = new List<SourceDay>();
        // SQLite's group_concat(DISTINCT x) joins with commas; PostgreSQL's string_agg says so.
        var dispositions = connection is Microsoft.Data.Sqlite.SqliteConnection
            ? "group_concat(DISTINCT coalesce(disposition, 'none'))"
            : "string_agg(DISTINCT coalesce(disposition, 'none'), ',')";
        await using (var query = Command($"""
            {Picked}
            SELECT org_name, begin_utc / 86400, domain, {Sql.SaturatedSum(connection, "count")}, {Sql.SaturatedSum(connection, Passes)}, {dispositions}
              FROM picked
             GROUP BY 1, 2, 3 ORDER BY 2 DESC, 1, 3 LIMIT @limit
            """, ip, fromUtc, toUtcExclusive))
        await using (var reader = await query.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                days.Add(new SourceDay(reader.GetString(0), Day(reader.GetInt64(1)), reader.GetString(2),
                    reader.GetInt64(3), reader.GetInt64(4), reader.GetString(5)));

        var dkim = await AuthAsync("dkim", "selector", ip, fromUtc, toUtcExclusive, ct);
        var spf = await AuthAsync("spf", "scope", ip, fromUtc, toUtcExclusive, ct);

        var reports = new List<SourceReport>();
        await using (var query = Command($"""
            {Picked}
            SELECT report, org_name, report_id, domain, begin_utc, {Sql.SaturatedSum(connection, "count")}
              FROM picked
             GROUP BY report, org_name, report_id, domain, begin_utc ORDER BY begin_utc DESC, report DESC LIMIT @limit
            """, ip, fromUtc, toUtcExclusive))
        await using (var reader = await query.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                reports.Add(new SourceReport(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(4)), reader.GetInt64(5)));

        return new SourceRecords(ip, ptr, totals, days, dkim, spf, reports);
    }

    /// <summary>
    /// The DKIM or SPF results of the records read: each record's first result in its own row, further ones in
    /// record_dkim or record_spf. Spelled out rather than joined with the dkim_results and spf_results views, which
    /// SQLite would materialise whole (every record of the store) before joining.
    /// </summary>
    private async Task<IReadOnlyList<SourceAuth>> AuthAsync(string method, string detail, string ip,
        long fromUtc, long toUtcExclusive, CancellationToken ct)
    {
        // The method and column names are this file's constants, never input.
        await using var query = Command($"""
            {Picked}
            SELECT domain, detail, result, {Sql.SaturatedSum(connection, "count")}
              FROM (SELECT p.{method}_domain AS domain, p.{method}_{detail} AS detail, p.{method}_result AS result, p.count
                      FROM picked p WHERE p.{method}_result IS NOT NULL
                    UNION ALL
                    SELECT x.domain, x.{detail}, x.result, p.count FROM picked p JOIN record_{method} x ON x.record = p.id) results
             GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3 LIMIT @limit
            """, ip, fromUtc, toUtcExclusive);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<SourceAuth>();
        while (await reader.ReadAsync(ct))
            rows.Add(new SourceAuth(reader.IsDBNull(0) ? "" : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetString(2), reader.GetInt64(3)));
        return rows;
    }

    private DbCommand Command(string sql, string ip, long fromUtc, long toUtcExclusive)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        Sql.Add(command, "@ip", ip);
        Sql.Add(command, "@from", fromUtc);
        Sql.Add(command, "@to", toUtcExclusive);
        Sql.Add(command, "@limit", MaxRows);
        Sql.Add(command, "@cap", MaxRecords);
        return command;
    }

    /// <summary>The date of a unix day number; absurd begin times from a report are clamped to the calendar's ends.</summary>
    private static DateOnly Day(long unixDay) =>
        DateOnly.FromDayNumber((int)Math.Clamp(UnixEpochDay + unixDay, DateOnly.MinValue.DayNumber, DateOnly.MaxValue.DayNumber));

    private static readonly int UnixEpochDay = new DateOnly(1970, 1, 1).DayNumber;
}
