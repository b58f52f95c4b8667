using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>Messages from one source on one day as one reporter saw them for one policy domain.</summary>
internal sealed record SourceDay(string Reporter, DateOnly Day, string Domain, long Messages, long DmarcPass, string Dispositions);

/// <summary>An authentication result the reports give for a source: a DKIM domain and selector, or an SPF domain and scope.</summary>
internal sealed record SourceAuth(string Domain, string? Detail, string Result, long Messages);

internal sealed record SourceReport(long Id, string Reporter, string ReportId, string Domain, DateTimeOffset Begin, long Messages);

internal sealed record SourceRecords(
    string Ip, string? PtrName, IReadOnlyList<SourceDay> Days, IReadOnlyList<SourceAuth> Dkim, IReadOnlyList<SourceAuth> Spf,
    IReadOnlyList<SourceReport> Reports);

/// <summary>Every report and record that mentions one source address in a period, through the index on records(source_ip).</summary>
internal sealed class SourceQueries(SqliteConnection connection)
{
    public const int MaxRows = 500;

    public async Task<SourceRecords> ForAddressAsync(string ip, long fromUtc, long toUtcExclusive, CancellationToken ct)
    {
        string? ptr = null;
        await using (var name = Command("SELECT name FROM ptr_cache WHERE ip = $ip", ip, fromUtc, toUtcExclusive))
            ptr = await name.ExecuteScalarAsync(ct) as string;

        var days = new List<SourceDay>();
        await using (var query = Command("""
            SELECT rp.org_name, rp.begin_utc / 86400, rp.domain, CAST(min(total(r.count), 9e18) AS INTEGER),
                   CAST(min(total(CASE WHEN r.dkim_eval = 'pass' OR r.spf_eval = 'pass' THEN r.count ELSE 0 END), 9e18) AS INTEGER),
                   group_concat(DISTINCT coalesce(r.disposition, 'none'))
              FROM records r JOIN reports rp ON rp.id = r.report
             WHERE r.source_ip = $ip AND rp.begin_utc >= $from AND rp.begin_utc < $to
             GROUP BY 1, 2, 3 ORDER BY 2 DESC, 1, 3 LIMIT $limit
            """, ip, fromUtc, toUtcExclusive))
        await using (var reader = await query.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                days.Add(new SourceDay(reader.GetString(0), DateOnly.FromDayNumber(UnixEpochDay + (int)reader.GetInt64(1)), reader.GetString(2),
                    reader.GetInt64(3), reader.GetInt64(4), reader.GetString(5)));

        var dkim = await AuthAsync("dkim_results", "selector", ip, fromUtc, toUtcExclusive, ct);
        var spf = await AuthAsync("spf_results", "scope", ip, fromUtc, toUtcExclusive, ct);

        var reports = new List<SourceReport>();
        await using (var query = Command("""
            SELECT rp.id, rp.org_name, rp.report_id, rp.domain, rp.begin_utc, CAST(min(total(r.count), 9e18) AS INTEGER)
              FROM records r JOIN reports rp ON rp.id = r.report
             WHERE r.source_ip = $ip AND rp.begin_utc >= $from AND rp.begin_utc < $to
             GROUP BY rp.id ORDER BY rp.begin_utc DESC, rp.id DESC LIMIT $limit
            """, ip, fromUtc, toUtcExclusive))
        await using (var reader = await query.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                reports.Add(new SourceReport(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(4)), reader.GetInt64(5)));

        return new SourceRecords(ip, ptr, days, dkim, spf, reports);
    }

    private async Task<IReadOnlyList<SourceAuth>> AuthAsync(string view, string detail, string ip,
        long fromUtc, long toUtcExclusive, CancellationToken ct)
    {
        // The view and column names are this file's constants, never input.
        await using var query = Command($"""
            SELECT x.domain, x.{detail}, x.result, CAST(min(total(r.count), 9e18) AS INTEGER)
              FROM records r JOIN reports rp ON rp.id = r.report JOIN {view} x ON x.record = r.id
             WHERE r.source_ip = $ip AND rp.begin_utc >= $from AND rp.begin_utc < $to
             GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT $limit
            """, ip, fromUtc, toUtcExclusive);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<SourceAuth>();
        while (await reader.ReadAsync(ct))
            rows.Add(new SourceAuth(reader.IsDBNull(0) ? "" : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetString(2), reader.GetInt64(3)));
        return rows;
    }

    private SqliteCommand Command(string sql, string ip, long fromUtc, long toUtcExclusive)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$ip", ip);
        command.Parameters.AddWithValue("$from", fromUtc);
        command.Parameters.AddWithValue("$to", toUtcExclusive);
        command.Parameters.AddWithValue("$limit", MaxRows);
        return command;
    }

    private static readonly int UnixEpochDay = new DateOnly(1970, 1, 1).DayNumber;
}
