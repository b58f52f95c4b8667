using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// Which weekly digests went to whom (the digests_sent table), per week, domain and recipient; the same SQL on SQLite and
/// PostgreSQL. A digest is spooled and noted sent in one transaction, so a crash between them sends nothing twice and
/// loses nothing.
/// </summary>
internal sealed class DigestLedger(DbConnection connection)
{
    /// <summary>The (domain, recipient) pairs the digest of <paramref name="week"/> already went to; recipients in lower case.</summary>
    public async Task<IReadOnlySet<(string Domain, string Recipient)>> SentAsync(string week, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT domain, recipient FROM digests_sent WHERE week = @week";
        Sql.Add(query, "@week", week);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var sent = new HashSet<(string, string)>();
        while (await reader.ReadAsync(ct))
            sent.Add((reader.GetString(0), reader.GetString(1)));
        return sent;
    }

    /// <summary>
    /// Spools <paramref name="mail"/> and notes the digest of <paramref name="week"/> for these domains as sent to these
    /// recipients, in one transaction (again, with --force: the time is updated).
    /// </summary>
    public async Task SpoolAsync(string week, IEnumerable<string> domains, IEnumerable<string> recipients, OutboxMail mail, DateTimeOffset now,
        CancellationToken ct)
    {
        var to = recipients.Select(r => r.ToLowerInvariant()).Distinct().ToList();
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await OutboxQueries.EnqueueAsync(connection, mail, now, ct);
        foreach (var domain in domains)
        {
            foreach (var recipient in to)
            {
                await using var insert = connection.CreateCommand();
                insert.CommandText = """
                    INSERT INTO digests_sent (week, domain, recipient, sent_utc) VALUES (@week, @domain, @recipient, @now)
                    ON CONFLICT (week, domain, recipient) DO UPDATE SET sent_utc = excluded.sent_utc
                    """;
                Sql.Add(insert, "@week", week);
                Sql.Add(insert, "@domain", domain);
                Sql.Add(insert, "@recipient", recipient);
                Sql.Add(insert, "@now", now.ToUnixTimeSeconds());
                await insert.ExecuteNonQueryAsync(ct);
            }
        }
        await transaction.CommitAsync(ct);
    }
}
