using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>The outbox spool on SQLite.</summary>
internal sealed class OutboxQueries(SqliteConnection connection) : IOutboxQueries
{
    public Task<long> EnqueueAsync(OutboxMail mail, DateTimeOffset now, CancellationToken ct) => EnqueueAsync(connection, mail, now, ct);

    /// <summary>Spools <paramref name="mail"/> on <paramref name="connection"/>, inside the caller's transaction when it has one.</summary>
    internal static async Task<long> EnqueueAsync(SqliteConnection connection, OutboxMail mail, DateTimeOffset now, CancellationToken ct)
    {
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO outbox (created_utc, sender, recipients, message, next_attempt_utc)
            VALUES ($now, $sender, $recipients, $message, $now) RETURNING id
            """;
        insert.Parameters.AddWithValue("$now", now.ToUnixTimeSeconds());
        insert.Parameters.AddWithValue("$sender", mail.Sender);
        insert.Parameters.AddWithValue("$recipients", string.Join('\n', mail.Recipients));
        insert.Parameters.AddWithValue("$message", mail.Message);
        return Convert.ToInt64(await insert.ExecuteScalarAsync(ct));
    }

    public async Task<IReadOnlyList<SpooledMail>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT id, sender, recipients, message, attempts FROM outbox
            WHERE next_attempt_utc <= $now ORDER BY next_attempt_utc, id LIMIT $limit
            """;
        query.Parameters.AddWithValue("$now", now.ToUnixTimeSeconds());
        query.Parameters.AddWithValue("$limit", limit);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var due = new List<SpooledMail>();
        while (await reader.ReadAsync(ct))
            due.Add(new SpooledMail(reader.GetInt64(0), reader.GetString(1), reader.GetString(2).Split('\n'),
                (byte[])reader.GetValue(3), reader.GetInt32(4)));
        return due;
    }

    public async Task<int> CountAsync(CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT count(*) FROM outbox";
        return Convert.ToInt32(await query.ExecuteScalarAsync(ct));
    }

    public async Task RemoveAsync(long id, CancellationToken ct)
    {
        await using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM outbox WHERE id = $id";
        delete.Parameters.AddWithValue("$id", id);
        await delete.ExecuteNonQueryAsync(ct);
    }

    public async Task DeferAsync(long id, DateTimeOffset nextAttempt, string error, CancellationToken ct)
    {
        await using var update = connection.CreateCommand();
        update.CommandText = """
            UPDATE outbox SET attempts = attempts + 1, next_attempt_utc = $next, last_error = $error WHERE id = $id
            """;
        update.Parameters.AddWithValue("$id", id);
        update.Parameters.AddWithValue("$next", nextAttempt.ToUnixTimeSeconds());
        update.Parameters.AddWithValue("$error", error);
        await update.ExecuteNonQueryAsync(ct);
    }
}
