using System.Data.Common;
using DmarcAnalyzer.Reports;

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
/// every report costs no more than a rare one. The records are read once and summed here, in the ways the page shows
/// them, instead of walking them again for each.
/// </summary>
internal sealed class SourceQueries(DbConnection connection)
{
    public const int MaxRows = 500;

    public const int MaxRecords = 5000;

    /// <summary>
    /// The records read, newest stored first, each with whether it has further DKIM or SPF results (the first is in
    /// its own row): few do, and only theirs are read then. Not joined with the dkim_results and spf_results views,
    /// which SQLite would materialise whole (every record of the store) first.
    /// </summary>
    private const string Picked = """
        SELECT r.id, r.count, r.disposition, r.dkim_eval = 'pass' OR r.spf_eval = 'pass',
               r.dkim_domain, r.dkim_selector, r.dkim_result, r.spf_domain, r.spf_scope, r.spf_result,
               rp.id, rp.org_name, rp.report_id, rp.domain, rp.begin_utc,
               EXISTS (SELECT 1 FROM record_dkim x WHERE x.record = r.id) OR EXISTS (SELECT 1 FROM record_spf x WHERE x.record = r.id)
          FROM records r JOIN reports rp ON rp.id = r.report
         WHERE r.source_ip = @ip AND rp.begin_utc >= @from AND rp.begin_utc < @to
         ORDER BY r.id DESC LIMIT @cap
        """;

    /// <summary>Records whose further results are read in one query.</summary>
    private const int FurtherBatch = 200;

    private sealed record Row(long Id, long Count, string? Disposition, bool Pass, SourceAuthRow? Dkim, SourceAuthRow? Spf,
        long Report, string Reporter, string ReportId, string Domain, long BeginUtc, bool HasFurther);

    private sealed record SourceAuthRow(string? Domain, string? Detail, string Result);

    public async Task<SourceRecords> ForAddressAsync(string ip, long fromUtc, long toUtcExclusive, CancellationToken ct)
    {
        string? ptr = null;
        await using (var name = Command("SELECT name FROM ptr_cache WHERE ip = @ip", ip, fromUtc, toUtcExclusive))
            ptr = await name.ExecuteScalarAsync(ct) as string;

        var rows = new List<Row>();
        await using (var query = Command(Picked, ip, fromUtc, toUtcExclusive))
        await using (var reader = await query.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                rows.Add(new Row(reader.GetInt64(0), Math.Clamp(reader.GetInt64(1), 0, ReportCount.Max), Sql.Text(reader, 2),
                    !reader.IsDBNull(3) && reader.GetBoolean(3),
                    reader.IsDBNull(6) ? null : new SourceAuthRow(Sql.Text(reader, 4), Sql.Text(reader, 5), reader.GetString(6)),
                    reader.IsDBNull(9) ? null : new SourceAuthRow(Sql.Text(reader, 7), Sql.Text(reader, 8), reader.GetString(9)),
                    reader.GetInt64(10), reader.GetString(11), reader.GetString(12), reader.GetString(13), reader.GetInt64(14), reader.GetBoolean(15)));

        var count = rows.ToDictionary(r => r.Id, r => r.Count);
        var dkim = rows.Where(r => r.Dkim is not null).Select(r => (Auth: r.Dkim!, r.Count)).ToList();
        var spf = rows.Where(r => r.Spf is not null).Select(r => (Auth: r.Spf!, r.Count)).ToList();
        foreach (var batch in rows.Where(r => r.HasFurther).Select(r => r.Id).Chunk(FurtherBatch))
        {
            var ids = string.Join(", ", batch.Select((_, i) => $"@r{i}"));
            await using var query = connection.CreateCommand();
            query.CommandText = $"""
                SELECT 'dkim', record, domain, selector, result FROM record_dkim WHERE record IN ({ids})
                UNION ALL
                SELECT 'spf', record, domain, scope, result FROM record_spf WHERE record IN ({ids})
                """;
            for (var i = 0; i < batch.Length; i++)
                Sql.Add(query, $"@r{i}", batch[i]);
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                (reader.GetString(0) == "dkim" ? dkim : spf).Add(
                    (new SourceAuthRow(Sql.Text(reader, 2), Sql.Text(reader, 3), reader.GetString(4)), count[reader.GetInt64(1)]));
        }

        var totals = new SourceTotals(rows.Count, ReportCount.Sum(rows, r => r.Count), ReportCount.Sum(rows, r => r.Pass ? r.Count : 0),
            rows.Count == 0 ? null : Day(rows.Min(r => r.BeginUtc) / 86400), rows.Count == 0 ? null : Day(rows.Max(r => r.BeginUtc) / 86400));
        var days = rows.GroupBy(r => (r.Reporter, Day: r.BeginUtc / 86400, r.Domain))
            .Select(g => new SourceDay(g.Key.Reporter, Day(g.Key.Day), g.Key.Domain, ReportCount.Sum(g, r => r.Count), ReportCount.Sum(g, r => r.Pass ? r.Count : 0),
                string.Join(",", g.Select(r => r.Disposition ?? "none").Distinct().Order(StringComparer.Ordinal))))
            .OrderByDescending(d => d.Day).ThenBy(d => d.Reporter, StringComparer.Ordinal).ThenBy(d => d.Domain, StringComparer.Ordinal)
            .Take(MaxRows).ToList();
        var reports = rows.GroupBy(r => r.Report)
            .Select(g =>
            {
                var r = g.First();
                return new SourceReport(r.Report, r.Reporter, r.ReportId, r.Domain, Sql.Time(r.BeginUtc), ReportCount.Sum(g, x => x.Count));
            })
            .OrderByDescending(r => r.Begin).ThenByDescending(r => r.Id).Take(MaxRows).ToList();
        return new SourceRecords(ip, ptr, totals, days, Sum(dkim), Sum(spf), reports);
    }

    /// <summary>Messages per domain, selector or scope, and result: the most first.</summary>
    private static List<SourceAuth> Sum(List<(SourceAuthRow Auth, long Count)> results) =>
        results.GroupBy(a => a.Auth)
            .Select(g => new SourceAuth(g.Key.Domain ?? "", g.Key.Detail, g.Key.Result, ReportCount.Sum(g, a => a.Count)))
            .OrderByDescending(a => a.Messages).ThenBy(a => a.Domain, StringComparer.Ordinal).ThenBy(a => a.Detail, StringComparer.Ordinal)
            .ThenBy(a => a.Result, StringComparer.Ordinal).Take(MaxRows).ToList();

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
