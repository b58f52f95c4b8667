using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>The published_records table on SQLite: each owned domain's DMARC and SPF record as last seen.</summary>
internal sealed class PublishedRecordQueries(SqliteConnection connection) : IPublishedRecordQueries
{
    public async Task<IReadOnlyList<PublishedRecord>> LastSeenAsync(CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT domain, kind, text FROM published_records ORDER BY domain, kind";
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<PublishedRecord>();
        while (await reader.ReadAsync(ct))
        {
            if (Kind(reader.GetString(1)) is { } kind)
                rows.Add(new PublishedRecord(reader.GetString(0), kind, reader.GetString(2)));
        }
        return rows;
    }

    public async Task SaveAsync(IReadOnlyList<PublishedRecord> seen, DateTimeOffset now, CancellationToken ct)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        foreach (var record in seen)
        {
            await using var upsert = connection.CreateCommand();
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO published_records (domain, kind, text, seen_utc) VALUES ($domain, $kind, $text, $now)
                ON CONFLICT (domain, kind) DO UPDATE SET text = excluded.text, seen_utc = excluded.seen_utc
                """;
            upsert.Parameters.AddWithValue("$domain", record.Domain);
            upsert.Parameters.AddWithValue("$kind", Word(record.Kind));
            upsert.Parameters.AddWithValue("$text", record.Text);
            upsert.Parameters.AddWithValue("$now", now.ToUnixTimeSeconds());
            await upsert.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<SeenSelector>> SelectorsSeenAsync(long sinceUtc, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT lower(x.domain), lower(x.selector), max(rp.end_utc)
            FROM reports rp JOIN records r ON r.report = rp.id JOIN dkim_results x ON x.record = r.id
            WHERE rp.begin_utc >= $since AND x.result = 'pass' AND coalesce(x.selector, '') <> '' AND coalesce(x.domain, '') <> ''
            GROUP BY 1, 2
            ORDER BY 1, 2
            """;
        query.Parameters.AddWithValue("$since", sinceUtc);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<SeenSelector>();
        while (await reader.ReadAsync(ct))
            rows.Add(new SeenSelector(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return rows;
    }

    private static string Word(PublishedRecordKind kind) => kind switch
    {
        PublishedRecordKind.Dmarc => "dmarc",
        PublishedRecordKind.Spf => "spf",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static PublishedRecordKind? Kind(string word) => word switch
    {
        "dmarc" => PublishedRecordKind.Dmarc,
        "spf" => PublishedRecordKind.Spf,
        _ => null,
    };
}
