using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>The facts the milter kept for reports and the ledger of reports handled; the same SQL on SQLite and PostgreSQL.</summary>
internal sealed class OutgoingReportQueries(DbConnection connection) : IOutgoingReportQueries
{
    public async IAsyncEnumerable<(string Domain, string Facts)> FactsAsync(long fromUtc, long toUtcExclusive,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT report_domain, report_facts FROM verdicts
            WHERE time_utc >= @from AND time_utc < @to AND report_domain IS NOT NULL AND report_facts IS NOT NULL
            ORDER BY time_utc, id
            """;
        Sql.Add(query, "@from", fromUtc);
        Sql.Add(query, "@to", toUtcExclusive);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return (reader.GetString(0), reader.GetString(1));
    }

    public async Task<IReadOnlySet<string>> HandledAsync(string domain, long beginUtc, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT destination FROM outgoing_reports WHERE domain = @domain AND begin_utc = @begin";
        Sql.Add(query, "@domain", domain);
        Sql.Add(query, "@begin", beginUtc);
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
            VALUES (@domain, @begin, @destination, @id, @outcome, @size, @messages, @detail, @created)
            """;
        Sql.Add(insert, "@domain", row.Domain);
        Sql.Add(insert, "@begin", row.BeginUtc);
        Sql.Add(insert, "@destination", row.Destination);
        Sql.Add(insert, "@id", row.ReportId);
        Sql.Add(insert, "@outcome", row.Outcome switch
        {
            OutgoingOutcome.Queued => "queued",
            OutgoingOutcome.TooLarge => "too_large",
            _ => "not_authorised",
        });
        Sql.Add(insert, "@size", row.Size);
        Sql.Add(insert, "@messages", row.Messages);
        Sql.Add(insert, "@detail", (object?)row.Detail ?? DBNull.Value);
        Sql.Add(insert, "@created", row.CreatedUtc);
        await insert.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }
}
