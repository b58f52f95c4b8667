using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>The outbox spool: mail waiting for the relay, kept until it is accepted.</summary>
internal static class OutboxQueries
{
    internal sealed record SpooledMail(long Id, string Sender, IReadOnlyList<string> Recipients, byte[] Message, int Attempts);

    public static async Task<long> EnqueueAsync(SqliteConnection connection, string sender, IReadOnlyList<string> recipients,
        byte[] message, DateTimeOffset now, CancellationToken ct)
    {
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO outbox (created_utc, sender, recipients, message, next_attempt_utc)
            VALUES ($now, $sender, $recipients, $message, $now) RETURNING id
            """;
        insert.Parameters.AddWithValue("$now", now.ToUnixTimeSeconds());
        insert.Parameters.AddWithValue("$sender", sender);
        insert.Parameters.AddWithValue("$recipients", string.Join('\n', recipients));
        insert.Parameters.AddWithValue("$message", message);
        return Convert.ToInt64(await insert.ExecuteScalarAsync(ct));
    }

    /// <summary>The mail whose next attempt is due at <paramref name="now"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<SpooledMail>> DueAsync(SqliteConnection connection, DateTimeOffset now, int limit, CancellationToken ct)
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

    public static async Task<int> CountAsync(SqliteConnection connection, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT count(*) FROM outbox";
        return Convert.ToInt32(await query.ExecuteScalarAsync(ct));
    }

    /// <summary>The relay accepted the mail: it leaves the spool.</summary>
    public static async Task RemoveAsync(SqliteConnection connection, long id, CancellationToken ct)
    {
        await using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM outbox WHERE id = $id";
        delete.Parameters.AddWithValue("$id", id);
        await delete.ExecuteNonQueryAsync(ct);
    }

    public static async Task DeferAsync(SqliteConnection connection, long id, DateTimeOffset nextAttempt, string error, CancellationToken ct)
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
