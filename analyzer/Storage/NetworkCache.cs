using System.Text;
using DmarcAnalyzer.Storage.Fast;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>A cached network answer for one address; every field is null when the databases know nothing of it.</summary>
internal sealed record NetworkCacheEntry(string Ip, long? Asn, string? AsOrg, string? Country);

/// <summary>The network_cache table: ASN, organisation and country of report source addresses.</summary>
internal static class NetworkCache
{
    /// <summary>
    /// The entries answered by the database builds named <paramref name="databases"/>; others are stale and left out.
    /// Read through <see cref="RawStatement"/>: a report over a large store reads one row per distinct source.
    /// </summary>
    public static Dictionary<string, NetworkCacheEntry> Load(SqliteConnection db, string databases, CancellationToken ct)
    {
        using var query = new RawStatement(db, "SELECT ip, asn, as_org, country FROM network_cache WHERE databases = ?1");
        query.Bind(1, databases);
        var entries = new Dictionary<string, NetworkCacheEntry>(StringComparer.Ordinal);
        for (var row = 1L; query.Step(); row++)
        {
            if (row % 65536 == 0)
                ct.ThrowIfCancellationRequested();
            // AS number 0 is reserved (RFC 7607) and never stored: it reads back as NULL does. Empty text is NULL too.
            var asn = query.Int64(1);
            var entry = new NetworkCacheEntry(Encoding.UTF8.GetString(query.Utf8(0)), asn == 0 ? null : asn, Text(query.Utf8(2)), Text(query.Utf8(3)));
            entries[entry.Ip] = entry;
        }
        return entries;
    }

    private static string? Text(ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? null : Encoding.UTF8.GetString(utf8);

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
