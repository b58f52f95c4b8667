using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>Reads the failures table: inputs that could not be read, with their raw bytes.</summary>
internal static class FailureQueries
{
    internal sealed record FailureRow(long Id, DateTimeOffset Created, string Source, string Reason, long Size, bool RawTruncated);

    public static async Task<IReadOnlyList<FailureRow>> ListAsync(SqliteConnection connection, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT id, created_utc, source, reason, size, raw_truncated FROM failures ORDER BY id";
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<FailureRow>();
        while (await reader.ReadAsync(ct))
            rows.Add(Row(reader));
        return rows;
    }

    public static async Task<FailureRow?> FindAsync(SqliteConnection connection, long id, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT id, created_utc, source, reason, size, raw_truncated FROM failures WHERE id = $id";
        query.Parameters.AddWithValue("$id", id);
        await using var reader = await query.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Row(reader) : null;
    }

    /// <summary>Copies a failure's raw bytes to <paramref name="output"/> as a stream, without loading them whole.</summary>
    public static async Task CopyRawAsync(SqliteConnection connection, long id, Stream output, CancellationToken ct)
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

    private static FailureRow Row(SqliteDataReader reader) => new(
        reader.GetInt64(0), DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(1)), reader.GetString(2),
        reader.GetString(3), reader.GetInt64(4), reader.GetInt64(5) != 0);
}
