using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>A cached reverse DNS answer; <see cref="Name"/> is null when the address has no forward-confirmed name.</summary>
internal sealed record PtrCacheEntry(string Ip, string? Name, long CheckedUtc);

/// <summary>The ptr_cache table: reverse DNS names of report source addresses, so reports stay fast and work offline.</summary>
internal static class PtrCache
{
    public static async Task<Dictionary<string, PtrCacheEntry>> LoadAsync(SqliteConnection db, CancellationToken ct)
    {
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT ip, name, checked_utc FROM ptr_cache";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var entries = new Dictionary<string, PtrCacheEntry>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var entry = new PtrCacheEntry(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2));
            entries[entry.Ip] = entry;
        }
        return entries;
    }

    public static async Task SaveAsync(SqliteConnection db, IReadOnlyCollection<PtrCacheEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0)
            return;
        await using var transaction = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        await using var command = db.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO ptr_cache (ip, name, checked_utc) VALUES ($ip, $name, $checked)";
        var ip = command.Parameters.Add("$ip", SqliteType.Text);
        var name = command.Parameters.Add("$name", SqliteType.Text);
        var checkedUtc = command.Parameters.Add("$checked", SqliteType.Integer);
        foreach (var entry in entries)
        {
            ip.Value = entry.Ip;
            name.Value = (object?)entry.Name ?? DBNull.Value;
            checkedUtc.Value = entry.CheckedUtc;
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }
}
