using System.Globalization;
using System.Data.Common;

namespace DmarcAnalyzer.Storage;

internal sealed record ArchiveExceptionRow(
    long Id, string Sender, string? Recipient, string Reason, string RequestedBy, DateTimeOffset Requested,
    ExceptionState State, string? DecidedBy, DateTimeOffset? Decided, DateOnly? Expires);

/// <summary>
/// Encrypted-archive exceptions requested and decided through the dashboard. Each step is written with its audit
/// entry in one transaction. The milter reads the approved ones beside the configuration's.
/// </summary>
internal sealed class ArchiveExceptionQueries(DbConnection connection)
{
    public async Task<long> RequestAsync(string sender, string? recipient, string reason,
        string requestedBy, DateTimeOffset now, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO archive_exceptions (sender, recipient, reason, requested_by, requested_utc, state)
            VALUES (@sender, @recipient, @reason, @by, @now, 'requested') RETURNING id
            """;
        Sql.Add(insert, "@sender", sender);
        Sql.Add(insert, "@recipient", (object?)recipient ?? DBNull.Value);
        Sql.Add(insert, "@reason", reason);
        Sql.Add(insert, "@by", requestedBy);
        Sql.Add(insert, "@now", now.ToUnixTimeSeconds());
        var id = Convert.ToInt64(await insert.ExecuteScalarAsync(ct));
        await AuditQueries.AddAsync(transaction, now, requestedBy, "exception requested", $"#{id} {sender}{(recipient is null ? "" : " to " + recipient)}", reason, ct);
        await transaction.CommitAsync(ct);
        return id;
    }

    /// <summary>Approves or rejects a request still open; false when there is none with that id open.</summary>
    public async Task<bool> DecideAsync(long id, ExceptionState decision, DateOnly? expires,
        string decidedBy, DateTimeOffset now, CancellationToken ct)
    {
        if (decision == ExceptionState.Requested)
            throw new ArgumentOutOfRangeException(nameof(decision), "a decision approves or rejects");
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var update = connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = """
            UPDATE archive_exceptions SET state = @state, decided_by = @by, decided_utc = @now, expires = @expires
            WHERE id = @id AND state = 'requested' RETURNING sender
            """;
        Sql.Add(update, "@id", id);
        Sql.Add(update, "@state", StateText(decision));
        Sql.Add(update, "@by", decidedBy);
        Sql.Add(update, "@now", now.ToUnixTimeSeconds());
        Sql.Add(update, "@expires", expires is { } day ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : DBNull.Value);
        if (await update.ExecuteScalarAsync(ct) is not string sender)
            return false;
        await AuditQueries.AddAsync(transaction, now, decidedBy,
            decision == ExceptionState.Approved ? "exception approved" : "exception rejected", $"#{id} {sender}",
            expires is { } until ? "until " + until.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null, ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>Every request, open ones first, then the newest.</summary>
    public async Task<IReadOnlyList<ArchiveExceptionRow>> ListAsync(CancellationToken ct) =>
        await ReadAsync("SELECT * FROM archive_exceptions ORDER BY state <> 'requested', id DESC", ct);

    /// <summary>The approved exceptions, expired ones included (the filter logs an expired match).</summary>
    public async Task<IReadOnlyList<ArchiveExceptionRow>> ApprovedAsync(CancellationToken ct) =>
        await ReadAsync("SELECT * FROM archive_exceptions WHERE state = 'approved' ORDER BY id", ct);

    private async Task<IReadOnlyList<ArchiveExceptionRow>> ReadAsync(string sql, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = sql.Replace("SELECT *", "SELECT id, sender, recipient, reason, requested_by, requested_utc, state, decided_by, decided_utc, expires");
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<ArchiveExceptionRow>();
        while (await reader.ReadAsync(ct))
            rows.Add(new ArchiveExceptionRow(
                reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                reader.GetString(4), DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(5)), State(reader.GetString(6)),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(8)),
                reader.IsDBNull(9) ? null : DateOnly.ParseExact(reader.GetString(9), "yyyy-MM-dd", CultureInfo.InvariantCulture)));
        return rows;
    }

    private static ExceptionState State(string text) => text switch
    {
        "approved" => ExceptionState.Approved,
        "rejected" => ExceptionState.Rejected,
        _ => ExceptionState.Requested,
    };

    private static string StateText(ExceptionState state) => state switch
    {
        ExceptionState.Approved => "approved",
        ExceptionState.Rejected => "rejected",
        _ => "requested",
    };
}
