using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Filter;

/// <summary>Writes verdicts into the store's <c>verdicts</c> table, one transaction per batch.</summary>
internal static class VerdictStore
{
    public static async Task WriteAsync(SqliteConnection connection, IReadOnlyList<VerdictRecord> batch, CancellationToken ct)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO verdicts (time_utc, queue_id, client_ip, client_name, helo, envelope_from, recipients, header_from,
                                  spf, dkim, dmarc, action, reason, removed_attachments, exception_used)
            VALUES ($time, $queue, $ip, $name, $helo, $from, $rcpt, $hfrom, $spf, $dkim, $dmarc, $action, $reason, $removed, $exception)
            """;
        var parameters = new[] { "$time", "$queue", "$ip", "$name", "$helo", "$from", "$rcpt", "$hfrom", "$spf", "$dkim", "$dmarc", "$action", "$reason", "$removed", "$exception" }
            .Select(n => insert.Parameters.Add(n, SqliteType.Text)).ToArray();
        parameters[0].SqliteType = SqliteType.Integer;
        foreach (var record in batch)
        {
            var (envelope, verdict) = (record.Envelope, record.Verdict);
            object?[] values =
            [
                record.Time.ToUnixTimeSeconds(), envelope.QueueId, envelope.ClientAddress, envelope.ClientName, envelope.Helo,
                envelope.Sender, JsonSerializer.Serialize(envelope.Recipients), record.HeaderFrom,
                verdict.Spf, verdict.Dkim, verdict.Dmarc, verdict.Action.ToString().ToLowerInvariant(), verdict.Reason,
                verdict.RemovedAttachments.Count == 0 ? null : JsonSerializer.Serialize(verdict.RemovedAttachments),
                verdict.ExceptionUsed,
            ];
            for (var i = 0; i < values.Length; i++)
                parameters[i].Value = values[i] ?? DBNull.Value;
            await insert.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }
}
