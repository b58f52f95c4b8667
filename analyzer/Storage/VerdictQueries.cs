using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>One row of the milter's verdict log, as the <c>verdicts</c> table holds it (lists already as JSON).</summary>
internal sealed record VerdictRow(
    long TimeUtc, string? QueueId, string? ClientIp, string? ClientName, string? Helo, string EnvelopeFrom, string Recipients,
    string? HeaderFrom, string? Spf, string? Dkim, string? Dmarc, string Action, string Reason, string? RemovedAttachments,
    string? ExceptionUsed, string? ReportDomain = null, string? ReportFacts = null);

/// <summary>What the inbound analysis reads of a verdict: its time, results (null: not checked), action, reason and From.</summary>
internal sealed record InboundVerdict(long TimeUtc, string? Spf, string? Dkim, string? Dmarc, string Action, string Reason, string? HeaderFrom);

/// <summary>One envelope-sender domain and client address of the verdict log, with its messages and those whose SPF result was not none.</summary>
internal sealed record SenderAddressRow(string Domain, string ClientIp, int Messages, long Other, long FirstUtc, long LastUtc);

/// <summary>The milter's verdict log: batches written in one transaction, received mail read back for a period.</summary>
internal static class VerdictQueries
{
    public static async Task WriteAsync(SqliteConnection connection, IReadOnlyList<VerdictRow> batch, CancellationToken ct)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO verdicts (time_utc, queue_id, client_ip, client_name, helo, envelope_from, recipients, header_from,
                                  spf, dkim, dmarc, action, reason, removed_attachments, exception_used, report_domain, report_facts)
            VALUES ($time, $queue, $ip, $name, $helo, $from, $rcpt, $hfrom, $spf, $dkim, $dmarc, $action, $reason, $removed, $exception,
                    $rdomain, $facts)
            """;
        var parameters = new[] { "$time", "$queue", "$ip", "$name", "$helo", "$from", "$rcpt", "$hfrom", "$spf", "$dkim", "$dmarc", "$action", "$reason", "$removed", "$exception", "$rdomain", "$facts" }
            .Select(n => insert.Parameters.Add(n, SqliteType.Text)).ToArray();
        parameters[0].SqliteType = SqliteType.Integer;
        foreach (var row in batch)
        {
            object?[] values =
            [
                row.TimeUtc, row.QueueId, row.ClientIp, row.ClientName, row.Helo, row.EnvelopeFrom, row.Recipients, row.HeaderFrom,
                row.Spf, row.Dkim, row.Dmarc, row.Action, row.Reason, row.RemovedAttachments, row.ExceptionUsed,
                row.ReportDomain, row.ReportFacts,
            ];
            for (var i = 0; i < values.Length; i++)
                parameters[i].Value = values[i] ?? DBNull.Value;
            await insert.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>Received mail in [<paramref name="fromUtc"/>, <paramref name="toUtcExclusive"/>): submissions are left out.</summary>
    public static async IAsyncEnumerable<InboundVerdict> ReceivedAsync(SqliteConnection connection, long fromUtc, long toUtcExclusive,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT time_utc, spf, dkim, dmarc, action, reason, header_from FROM verdicts
            WHERE time_utc >= $from AND time_utc < $to AND reason NOT LIKE 'submission%'
            """;
        query.Parameters.AddWithValue("$from", fromUtc);
        query.Parameters.AddWithValue("$to", toUtcExclusive);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new InboundVerdict(reader.GetInt64(0), Text(reader, 1), Text(reader, 2), Text(reader, 3),
                reader.GetString(4), reader.GetString(5), Text(reader, 6));
    }

    /// <summary>
    /// Envelope-sender domains (after the last '@': a quoted local part may hold others) and client addresses since
    /// <paramref name="sinceUtc"/>, ordered by domain, at most <paramref name="limit"/>; the null sender (checked with
    /// the HELO name) is left out.
    /// </summary>
    public static async IAsyncEnumerable<SenderAddressRow> SenderAddressesAsync(SqliteConnection connection, long sinceUtc, long limit,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT lower(replace(envelope_from, rtrim(envelope_from, replace(envelope_from, '@', '')), '')) AS domain, client_ip,
                   count(*), sum(spf <> 'none'), min(time_utc), max(time_utc)
            FROM verdicts
            WHERE instr(envelope_from, '@') > 0 AND spf IS NOT NULL AND client_ip IS NOT NULL AND time_utc >= $since
            GROUP BY domain, client_ip
            ORDER BY domain
            LIMIT $limit
            """;
        query.Parameters.AddWithValue("$since", sinceUtc);
        query.Parameters.AddWithValue("$limit", limit);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new SenderAddressRow(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3),
                reader.GetInt64(4), reader.GetInt64(5));
    }

    private static string? Text(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
}
