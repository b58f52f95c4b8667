using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// Which weekly digests went to whom (the digests_sent table), per week, domain and recipient. On the outbox's own
/// connection: the caller spools the mail and notes it sent in one transaction, so a crash between them sends nothing
/// twice and loses nothing.
/// </summary>
internal static class DigestLedger
{
    /// <summary>The (domain, recipient) pairs the digest of <paramref name="week"/> already went to; recipients in lower case.</summary>
    public static async Task<IReadOnlySet<(string Domain, string Recipient)>> SentAsync(SqliteConnection connection, string week, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT domain, recipient FROM digests_sent WHERE week = $week";
        query.Parameters.AddWithValue("$week", week);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var sent = new HashSet<(string, string)>();
        while (await reader.ReadAsync(ct))
            sent.Add((reader.GetString(0), reader.GetString(1)));
        return sent;
    }

    /// <summary>Notes the digest of <paramref name="week"/> for these domains as sent to these recipients (again, with --force: the time is updated).</summary>
    public static async Task MarkSentAsync(SqliteConnection connection, string week, IEnumerable<string> domains, IEnumerable<string> recipients,
        DateTimeOffset now, CancellationToken ct)
    {
        var to = recipients.Select(r => r.ToLowerInvariant()).Distinct().ToList();
        foreach (var domain in domains)
        {
            foreach (var recipient in to)
            {
                await using var insert = connection.CreateCommand();
                insert.CommandText = """
                    INSERT INTO digests_sent (week, domain, recipient, sent_utc) VALUES ($week, $domain, $recipient, $now)
                    ON CONFLICT (week, domain, recipient) DO UPDATE SET sent_utc = excluded.sent_utc
                    """;
                insert.Parameters.AddWithValue("$week", week);
                insert.Parameters.AddWithValue("$domain", domain);
                insert.Parameters.AddWithValue("$recipient", recipient);
                insert.Parameters.AddWithValue("$now", now.ToUnixTimeSeconds());
                await insert.ExecuteNonQueryAsync(ct);
            }
        }
    }
}
