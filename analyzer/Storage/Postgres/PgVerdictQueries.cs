using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace DmarcAnalyzer.Storage.Postgres;

/// <summary>
/// The verdict log on PostgreSQL. A batch is one binary COPY in one transaction: all of it or none, so the milter's
/// writer retries a batch whole while the server is away and never stores a verdict twice. The partition of a month
/// (<see cref="PgPartitions"/>) is made before the batch's transaction, the first time this process writes into it.
/// </summary>
internal sealed class PgVerdictQueries(NpgsqlDataSource source) : IVerdictQueries
{
    /// <summary>The months whose partition this process has made or found (<see cref="PgPartitions"/>).</summary>
    private readonly ConcurrentDictionary<int, bool> _months = new();

    public async Task WriteAsync(IReadOnlyList<VerdictRow> batch, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        foreach (var month in batch.Select(row => PgPartitions.MonthOf(row.TimeUtc)).Distinct())
        {
            if (_months.ContainsKey(month))
                continue;
            await PgPartitions.EnsureVerdictsMonthAsync(connection, null, month, ct);
            _months.TryAdd(month, true);
        }
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var copy = await connection.BeginBinaryImportAsync("""
            COPY verdicts (time_utc, queue_id, client_ip, client_name, helo, envelope_from, recipients, header_from,
                           spf, dkim, dmarc, action, reason, removed_attachments, exception_used, report_domain, report_facts)
            FROM STDIN (FORMAT BINARY)
            """, ct))
        {
            foreach (var row in batch)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(row.TimeUtc, NpgsqlDbType.Bigint, ct);
                foreach (var text in (string?[])[row.QueueId, row.ClientIp, row.ClientName, row.Helo, row.EnvelopeFrom, row.Recipients,
                             row.HeaderFrom, row.Spf, row.Dkim, row.Dmarc, row.Action, row.Reason, row.RemovedAttachments, row.ExceptionUsed,
                             row.ReportDomain, row.ReportFacts])
                {
                    if (text is null)
                        await copy.WriteNullAsync(ct);
                    else
                        await copy.WriteAsync(text, NpgsqlDbType.Text, ct);
                }
            }
            await copy.CompleteAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    public async IAsyncEnumerable<InboundVerdict> ReceivedAsync(long fromUtc, long toUtcExclusive,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var query = Pg.Command(connection, """
            SELECT time_utc, spf, dkim, dmarc, action, reason, header_from FROM verdicts
            WHERE time_utc >= @from AND time_utc < @to AND reason NOT LIKE 'submission%'
            """);
        Pg.Add(query, "from", fromUtc);
        Pg.Add(query, "to", toUtcExclusive);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new InboundVerdict(reader.GetInt64(0), Pg.Text(reader, 1), Pg.Text(reader, 2), Pg.Text(reader, 3),
                reader.GetString(4), reader.GetString(5), Pg.Text(reader, 6));
    }

    /// <summary>The domain is what follows the last @ of the envelope sender, as on SQLite.</summary>
    public async IAsyncEnumerable<SenderAddressRow> SenderAddressesAsync(long sinceUtc, long limit,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var query = Pg.Command(connection, """
            SELECT lower(substring(envelope_from from '[^@]*$')) AS domain, client_ip,
                   count(*)::int, count(*) FILTER (WHERE spf <> 'none'), min(time_utc), max(time_utc)
            FROM verdicts
            WHERE strpos(envelope_from, '@') > 0 AND spf IS NOT NULL AND client_ip IS NOT NULL AND time_utc >= @since
            GROUP BY 1, client_ip
            ORDER BY 1
            LIMIT @limit
            """);
        Pg.Add(query, "since", sinceUtc);
        Pg.Add(query, "limit", limit);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new SenderAddressRow(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3),
                reader.GetInt64(4), reader.GetInt64(5));
    }
}
