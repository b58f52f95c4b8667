using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

internal sealed record AuditRow(long Id, DateTimeOffset Time, string Actor, string Action, string Subject, string? Detail);

/// <summary>The audit trail: who changed what through the dashboard or the user command, and when.</summary>
internal sealed class AuditQueries(SqliteConnection connection)
{
    /// <summary>Adds an entry inside the transaction of the change it records, so a change is never unaudited.</summary>
    public static async Task AddAsync(SqliteTransaction transaction, DateTimeOffset time,
        string actor, string action, string subject, string? detail, CancellationToken ct)
    {
        await using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO audit (time_utc, actor, action, subject, detail) VALUES ($time, $actor, $action, $subject, $detail)";
        command.Parameters.AddWithValue("$time", time.ToUnixTimeSeconds());
        command.Parameters.AddWithValue("$actor", actor);
        command.Parameters.AddWithValue("$action", action);
        command.Parameters.AddWithValue("$subject", subject);
        command.Parameters.AddWithValue("$detail", (object?)detail ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Records an act that changes nothing in the store, such as reading raw bytes.</summary>
    public async Task RecordAsync(DateTimeOffset time, string actor, string action, string subject, string? detail, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO audit (time_utc, actor, action, subject, detail) VALUES (@time, @actor, @action, @subject, @detail)";
        Sql.Add(command, "@time", time.ToUnixTimeSeconds());
        Sql.Add(command, "@actor", actor);
        Sql.Add(command, "@action", action);
        Sql.Add(command, "@subject", subject);
        Sql.Add(command, "@detail", detail);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The newest <paramref name="limit"/> entries, newest first.</summary>
    public async Task<IReadOnlyList<AuditRow>> NewestAsync(int limit, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT id, time_utc, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT $limit";
        query.Parameters.AddWithValue("$limit", limit);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<AuditRow>();
        while (await reader.ReadAsync(ct))
            rows.Add(new AuditRow(reader.GetInt64(0), DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(1)), reader.GetString(2),
                reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        return rows;
    }
}
