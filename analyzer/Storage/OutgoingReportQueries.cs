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
        query.CommandText = "SELECT destination FROM outgoing_reports WHERE domain = @domain AND begin_utc = @begin AND outcome <> 'deferred'";
        Sql.Add(query, "@domain", domain);
        Sql.Add(query, "@begin", beginUtc);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var handled = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
            handled.Add(reader.GetString(0));
        return handled;
    }

    public async Task<IReadOnlyList<long>> DeferredDaysAsync(long fromUtc, long toUtcExclusive, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT DISTINCT begin_utc FROM outgoing_reports
            WHERE outcome = 'deferred' AND begin_utc >= @from AND begin_utc < @to
            ORDER BY begin_utc
            """;
        Sql.Add(query, "@from", fromUtc);
        Sql.Add(query, "@to", toUtcExclusive);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var days = new List<long>();
        while (await reader.ReadAsync(ct))
            days.Add(reader.GetInt64(0));
        return days;
    }

    public async Task<bool> AddAsync(OutgoingReportRow row, OutboxMail? mail, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var insert = connection.CreateCommand();
        // A deferred destination is the only one written again; a run that finds the row handled meanwhile (two runs at
        // once) changes nothing and spools nothing.
        insert.CommandText = """
            INSERT INTO outgoing_reports (domain, begin_utc, destination, report_id, outcome, size, messages, detail, created_utc)
            VALUES (@domain, @begin, @destination, @id, @outcome, @size, @messages, @detail, @created)
            ON CONFLICT (domain, begin_utc, destination) DO UPDATE SET
                report_id = excluded.report_id, outcome = excluded.outcome, size = excluded.size, messages = excluded.messages,
                detail = excluded.detail, created_utc = excluded.created_utc
            WHERE outgoing_reports.outcome = 'deferred'
            """;
        Sql.Add(insert, "@domain", row.Domain);
        Sql.Add(insert, "@begin", row.BeginUtc);
        Sql.Add(insert, "@destination", row.Destination);
        Sql.Add(insert, "@id", row.ReportId);
        Sql.Add(insert, "@outcome", row.Outcome switch
        {
            OutgoingOutcome.Queued => "queued",
            OutgoingOutcome.TooLarge => "too_large",
            OutgoingOutcome.Deferred => "deferred",
            _ => "not_authorised",
        });
        Sql.Add(insert, "@size", row.Size);
        Sql.Add(insert, "@messages", row.Messages);
        Sql.Add(insert, "@detail", (object?)row.Detail ?? DBNull.Value);
        Sql.Add(insert, "@created", row.CreatedUtc);
        if (await insert.ExecuteNonQueryAsync(ct) == 0)
        {
            await transaction.RollbackAsync(ct);
            return false;
        }
        if (mail is not null)
            await OutboxQueries.EnqueueAsync(connection, mail, DateTimeOffset.FromUnixTimeSeconds(row.CreatedUtc), ct);
        await transaction.CommitAsync(ct);
        return true;
    }
}
