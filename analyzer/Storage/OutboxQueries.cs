using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>The outbox spool; its SQL is the same on SQLite and PostgreSQL.</summary>
internal sealed class OutboxQueries(DbConnection connection) : IOutboxQueries
{
    public Task<long> EnqueueAsync(OutboxMail mail, DateTimeOffset now, CancellationToken ct) => EnqueueAsync(connection, mail, now, ct);

    /// <summary>Spools <paramref name="mail"/> on <paramref name="connection"/>, inside the caller's transaction when it has one.</summary>
    internal static async Task<long> EnqueueAsync(DbConnection connection, OutboxMail mail, DateTimeOffset now, CancellationToken ct)
    {
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO outbox (created_utc, sender, recipients, message, next_attempt_utc)
            VALUES (@now, @sender, @recipients, @message, @now) RETURNING id
            """;
        Sql.Add(insert, "@now", now.ToUnixTimeSeconds());
        Sql.Add(insert, "@sender", mail.Sender);
        Sql.Add(insert, "@recipients", string.Join('\n', mail.Recipients));
        Sql.Add(insert, "@message", mail.Message);
        return Convert.ToInt64(await insert.ExecuteScalarAsync(ct));
    }

    public async Task<IReadOnlyList<SpooledMail>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT id, sender, recipients, message, attempts FROM outbox
            WHERE next_attempt_utc <= @now ORDER BY next_attempt_utc, id LIMIT @limit
            """;
        Sql.Add(query, "@now", now.ToUnixTimeSeconds());
        Sql.Add(query, "@limit", limit);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var due = new List<SpooledMail>();
        while (await reader.ReadAsync(ct))
            due.Add(new SpooledMail(reader.GetInt64(0), reader.GetString(1), reader.GetString(2).Split('\n'),
                (byte[])reader.GetValue(3), (int)reader.GetInt64(4)));
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
        delete.CommandText = "DELETE FROM outbox WHERE id = @id";
        Sql.Add(delete, "@id", id);
        await delete.ExecuteNonQueryAsync(ct);
    }

    public async Task DeferAsync(long id, DateTimeOffset nextAttempt, string error, CancellationToken ct)
    {
        await using var update = connection.CreateCommand();
        update.CommandText = """
            UPDATE outbox SET attempts = attempts + 1, next_attempt_utc = @next, last_error = @error WHERE id = @id
            """;
        Sql.Add(update, "@id", id);
        Sql.Add(update, "@next", nextAttempt.ToUnixTimeSeconds());
        Sql.Add(update, "@error", error);
        await update.ExecuteNonQueryAsync(ct);
    }
}
