using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>The failures table on SQLite: inputs that could not be read, with their raw bytes.</summary>
internal sealed class FailureQueries(SqliteConnection connection) : IFailureQueries
{
    public async Task<IReadOnlyList<FailureRow>> ListAsync(CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT id, created_utc, source, reason, size, raw_truncated FROM failures ORDER BY id";
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<FailureRow>();
        while (await reader.ReadAsync(ct))
            rows.Add(Row(reader));
        return rows;
    }

    public async Task<FailureRow?> FindAsync(long id, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT id, created_utc, source, reason, size, raw_truncated FROM failures WHERE id = $id";
        query.Parameters.AddWithValue("$id", id);
        await using var reader = await query.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Row(reader) : null;
    }

    public async Task CopyRawAsync(long id, Stream output, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT b.raw FROM failures f JOIN failure_blobs b ON b.sha256 = f.sha256 WHERE f.id = $id";
        query.Parameters.AddWithValue("$id", id);
        await using var reader = await query.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        if (await reader.ReadAsync(ct))
        {
            await using var raw = reader.GetStream(0);
            await raw.CopyToAsync(output, ct);
        }
    }

    public async Task<IReadOnlyList<FailureRow>> NewestAsync(long? beforeId, int limit, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        // Two texts rather than "@before IS NULL": PostgreSQL cannot type a null parameter.
        query.CommandText = beforeId is null
            ? "SELECT id, created_utc, source, reason, size, raw_truncated FROM failures ORDER BY id DESC LIMIT @limit"
            : "SELECT id, created_utc, source, reason, size, raw_truncated FROM failures WHERE id < @before ORDER BY id DESC LIMIT @limit";
        if (beforeId is { } before)
            Sql.Add(query, "@before", before);
        Sql.Add(query, "@limit", limit);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<FailureRow>();
        while (await reader.ReadAsync(ct))
            rows.Add(Row(reader));
        return rows;
    }

    public async Task<long> CountAsync(CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT count(*) FROM failures";
        return Convert.ToInt64(await query.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static FailureRow Row(SqliteDataReader reader) => new(
        reader.GetInt64(0), DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(1)), reader.GetString(2),
        reader.GetString(3), reader.GetInt64(4), reader.GetInt64(5) != 0);
}
