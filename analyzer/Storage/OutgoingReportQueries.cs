using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>The facts the milter kept for reports and the ledger of reports handled, on SQLite.</summary>
internal sealed class OutgoingReportQueries(SqliteConnection connection) : IOutgoingReportQueries
{
    public async IAsyncEnumerable<(string Domain, string Facts)> FactsAsync(long fromUtc, long toUtcExclusive,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT report_domain, report_facts FROM verdicts
            WHERE time_utc >= $from AND time_utc < $to AND report_domain IS NOT NULL AND report_facts IS NOT NULL
            ORDER BY time_utc, id
            """;
        query.Parameters.AddWithValue("$from", fromUtc);
        query.Parameters.AddWithValue("$to", toUtcExclusive);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return (reader.GetString(0), reader.GetString(1));
    }

    public async Task<IReadOnlySet<string>> HandledAsync(string domain, long beginUtc, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT destination FROM outgoing_reports WHERE domain = $domain AND begin_utc = $begin";
        query.Parameters.AddWithValue("$domain", domain);
        query.Parameters.AddWithValue("$begin", beginUtc);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var handled = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
            handled.Add(reader.GetString(0));
        return handled;
    }

    public async Task AddAsync(OutgoingReportRow row, OutboxMail? mail, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (mail is not null)
            await OutboxQueries.EnqueueAsync(connection, mail, DateTimeOffset.FromUnixTimeSeconds(row.CreatedUtc), ct);
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO outgoing_reports (domain, begin_utc, destination, report_id, outcome, size, messages, detail, created_utc)
            VALUES ($domain, $begin, $destination, $id, $outcome, $size, $messages, $detail, $created)
            """;
        insert.Parameters.AddWithValue("$domain", row.Domain);
        insert.Parameters.AddWithValue("$begin", row.BeginUtc);
        insert.Parameters.AddWithValue("$destination", row.Destination);
        insert.Parameters.AddWithValue("$id", row.ReportId);
        insert.Parameters.AddWithValue("$outcome", row.Outcome switch
        {
            OutgoingOutcome.Queued => "queued",
            OutgoingOutcome.TooLarge => "too_large",
            _ => "not_authorised",
        });
        insert.Parameters.AddWithValue("$size", row.Size);
        insert.Parameters.AddWithValue("$messages", row.Messages);
        insert.Parameters.AddWithValue("$detail", (object?)row.Detail ?? DBNull.Value);
        insert.Parameters.AddWithValue("$created", row.CreatedUtc);
        await insert.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }
}
