using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// What the report analysis reads, in a few numbers that move when it changes: reports stored (ingest adds, the highest
/// id and the count), their records (reparse writes new rows, prune deletes the oldest: the highest and lowest id) and
/// the PTR cache (a name found or refreshed: the count and the newest check). Each is an index's end or a small table,
/// so reading them costs a few milliseconds where counting the records would read them all.
/// </summary>
internal sealed record StoreStamp(long LastReport, long Reports, long FirstRecord, long LastRecord, long PtrNames, long LastPtrCheck)
{
    /// <summary>Reads the stamp; the same SQL on SQLite and PostgreSQL.</summary>
    public static async Task<StoreStamp> ReadAsync(DbConnection connection, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT (SELECT coalesce(max(id), 0) FROM reports), (SELECT count(*) FROM reports),
                   (SELECT coalesce(min(id), 0) FROM records), (SELECT coalesce(max(id), 0) FROM records),
                   (SELECT count(*) FROM ptr_cache), (SELECT coalesce(max(checked_utc), 0) FROM ptr_cache)
            """;
        await using var reader = await query.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new StoreStamp(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
    }
}
