using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>What the alert rules read from the store, and the state that makes an alert fire once.</summary>
internal static class AlertQueries
{
    /// <summary>A source's failing messages for a domain on its busiest day in the window.</summary>
    internal sealed record FailingSource(string Domain, string SourceIp, long Day, long Failing);

    /// <summary>Messages and DMARC passes of a domain in a period.</summary>
    internal sealed record PassCount(string Domain, long Messages, long Passed);

    /// <summary>An alert that has fired and not cleared since.</summary>
    internal sealed record FiredAlert(string Rule, string Domain, string Key);

    public static async Task<IReadOnlyList<string>> PolicyDomainsAsync(DbConnection db, CancellationToken ct)
    {
        await using var query = db.CreateCommand();
        query.CommandText = "SELECT DISTINCT domain FROM reports ORDER BY domain";
        return await ReadAsync(query, r => r.GetString(0), ct);
    }

    /// <summary>
    /// Sources that failed DMARC for a domain more than <paramref name="minMessages"/> times on one UTC day since
    /// <paramref name="sinceUtc"/>, and that no report before then lists for that domain. Failing: neither DKIM nor SPF
    /// passed as the receiver evaluated them. "Seen before" is looked up from the address (records_source_ip), not by
    /// walking the domain's earlier reports: CROSS JOIN fixes SQLite's join order (bench/README.md, issue 25).
    /// </summary>
    public static async Task<IReadOnlyList<FailingSource>> NewFailingSourcesAsync(DbConnection db, long sinceUtc, long minMessages, CancellationToken ct)
    {
        await using var query = db.CreateCommand();
        var failing = Sql.SaturatedSum(db, "rec.count");
        query.CommandText = $"""
            SELECT f.domain, f.source_ip, f.day, f.failing FROM (
                SELECT rep.domain AS domain, rec.source_ip AS source_ip, rep.begin_utc / 86400 AS day, {failing} AS failing,
                       row_number() OVER (PARTITION BY rep.domain, rec.source_ip ORDER BY {failing} DESC, rep.begin_utc / 86400) AS busiest
                FROM records rec JOIN reports rep ON rep.id = rec.report
                WHERE rep.begin_utc >= @since AND coalesce(rec.dkim_eval, '') <> 'pass' AND coalesce(rec.spf_eval, '') <> 'pass'
                GROUP BY rep.domain, rec.source_ip, rep.begin_utc / 86400
                HAVING {failing} > @min) AS f
            WHERE f.busiest = 1 AND NOT EXISTS (
                SELECT 1 FROM records old CROSS JOIN reports r
                WHERE old.source_ip = f.source_ip AND r.id = old.report AND r.domain = f.domain AND r.begin_utc < @since)
            ORDER BY f.domain, f.source_ip
            """;
        Sql.Add(query, "@since", sinceUtc);
        Sql.Add(query, "@min", minMessages);
        return await ReadAsync(query, r => new FailingSource(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)), ct);
    }

    /// <summary>Per domain, messages and DMARC passes of the reports that begin in [from, to).</summary>
    public static async Task<IReadOnlyList<PassCount>> PassCountsAsync(DbConnection db, long fromUtc, long toUtc, CancellationToken ct)
    {
        await using var query = db.CreateCommand();
        query.CommandText = $"""
            SELECT rep.domain, {Sql.SaturatedSum(db, "rec.count")},
                   {Sql.SaturatedSum(db, "CASE WHEN rec.dkim_eval = 'pass' OR rec.spf_eval = 'pass' THEN rec.count ELSE 0 END")}
            FROM records rec JOIN reports rep ON rep.id = rec.report
            WHERE rep.begin_utc >= @from AND rep.begin_utc < @to
            GROUP BY rep.domain
            """;
        Sql.Add(query, "@from", fromUtc);
        Sql.Add(query, "@to", toUtc);
        return await ReadAsync(query, r => new PassCount(r.GetString(0), r.GetInt64(1), r.GetInt64(2)), ct);
    }

    /// <summary>When the newest report was stored, or null for an empty store.</summary>
    public static async Task<long?> LastIngestAsync(DbConnection db, CancellationToken ct)
    {
        await using var query = db.CreateCommand();
        query.CommandText = "SELECT max(ingested_utc) FROM reports";
        return await query.ExecuteScalarAsync(ct) is long last ? last : null;
    }

    public static async Task<IReadOnlyList<FiredAlert>> FiredAsync(DbConnection db, CancellationToken ct)
    {
        await using var query = db.CreateCommand();
        query.CommandText = "SELECT rule, domain, key FROM alert_state";
        return await ReadAsync(query, r => new FiredAlert(r.GetString(0), r.GetString(1), r.GetString(2)), ct);
    }

    /// <summary>
    /// Makes the state the set of alerts firing now, in one transaction: alerts that cleared are forgotten (so they
    /// fire again when they come back), new ones are recorded with when they fired.
    /// </summary>
    public static async Task RecordAsync(DbConnection db, IReadOnlyList<(FiredAlert Alert, string Text)> firing, DateTimeOffset now, CancellationToken ct)
    {
        await using var transaction = await db.BeginTransactionAsync(ct);
        await using (var clear = db.CreateCommand())
        {
            clear.Transaction = transaction;
            clear.CommandText = "CREATE TEMP TABLE IF NOT EXISTS alert_now (rule TEXT, domain TEXT, key TEXT); DELETE FROM alert_now;";
            await clear.ExecuteNonQueryAsync(ct);
        }
        foreach (var (alert, text) in firing)
        {
            await using var insert = db.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO alert_now (rule, domain, key) VALUES (@rule, @domain, @key);
                INSERT INTO alert_state (rule, domain, key, text, fired_utc) VALUES (@rule, @domain, @key, @text, @now) ON CONFLICT DO NOTHING;
                """;
            Sql.Add(insert, "@rule", alert.Rule);
            Sql.Add(insert, "@domain", alert.Domain);
            Sql.Add(insert, "@key", alert.Key);
            Sql.Add(insert, "@text", text);
            Sql.Add(insert, "@now", now.ToUnixTimeSeconds());
            await insert.ExecuteNonQueryAsync(ct);
        }
        await using (var forget = db.CreateCommand())
        {
            forget.Transaction = transaction;
            forget.CommandText = """
                DELETE FROM alert_state WHERE NOT EXISTS (
                    SELECT 1 FROM alert_now n WHERE n.rule = alert_state.rule AND n.domain = alert_state.domain AND n.key = alert_state.key);
                DROP TABLE alert_now;
                """;
            await forget.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    private static async Task<IReadOnlyList<T>> ReadAsync<T>(DbCommand query, Func<DbDataReader, T> read, CancellationToken ct)
    {
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
            rows.Add(read(reader));
        return rows;
    }
}
