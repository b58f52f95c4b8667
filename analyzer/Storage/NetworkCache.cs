using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>A cached network answer for one address; every field is null when the databases know nothing of it.</summary>
internal sealed record NetworkCacheEntry(string Ip, long? Asn, string? AsOrg, string? Country);

/// <summary>The network_cache table: ASN, organisation and country of report source addresses.</summary>
internal static class NetworkCache
{
    /// <summary>The entries answered by the database builds named <paramref name="databases"/>; others are stale and left out.</summary>
    public static async Task<Dictionary<string, NetworkCacheEntry>> LoadAsync(SqliteConnection db, string databases, CancellationToken ct)
    {
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT ip, asn, as_org, country FROM network_cache WHERE databases = $databases";
        command.Parameters.AddWithValue("$databases", databases);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var entries = new Dictionary<string, NetworkCacheEntry>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var entry = new NetworkCacheEntry(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
            entries[entry.Ip] = entry;
        }
        return entries;
    }

    public static async Task SaveAsync(SqliteConnection db, string databases, IReadOnlyCollection<NetworkCacheEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0)
            return;
        await using var transaction = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        await using var command = db.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT OR REPLACE INTO network_cache (ip, databases, asn, as_org, country) VALUES ($ip, $databases, $asn, $org, $country)
            """;
        var ip = command.Parameters.Add("$ip", SqliteType.Text);
        command.Parameters.AddWithValue("$databases", databases);
        var asn = command.Parameters.Add("$asn", SqliteType.Integer);
        var org = command.Parameters.Add("$org", SqliteType.Text);
        var country = command.Parameters.Add("$country", SqliteType.Text);
        foreach (var entry in entries)
        {
            ip.Value = entry.Ip;
            asn.Value = (object?)entry.Asn ?? DBNull.Value;
            org.Value = (object?)entry.AsOrg ?? DBNull.Value;
            country.Value = (object?)entry.Country ?? DBNull.Value;
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }
}
