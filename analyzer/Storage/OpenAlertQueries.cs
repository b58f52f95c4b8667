using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>An alert that <c>dmarc alert</c> fired and that has not cleared since.</summary>
internal sealed record OpenAlertRow(string Rule, string Domain, string Text, DateTimeOffset Fired);

/// <summary>The open alerts of the alert state table, as the dashboard's overview lists them.</summary>
internal sealed class OpenAlertQueries(DbConnection connection)
{
    /// <summary>The newest <paramref name="limit"/> open alerts, newest first.</summary>
    public async Task<IReadOnlyList<OpenAlertRow>> NewestAsync(int limit, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT rule, domain, text, fired_utc FROM alert_state ORDER BY fired_utc DESC, domain, rule, key LIMIT @limit";
        Sql.Add(query, "@limit", limit);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<OpenAlertRow>();
        while (await reader.ReadAsync(ct))
            rows.Add(new OpenAlertRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), Sql.Time(reader.GetInt64(3))));
        return rows;
    }

    public async Task<long> CountAsync(CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT count(*) FROM alert_state";
        return Convert.ToInt64(await query.ExecuteScalarAsync(ct));
    }
}
