using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>Reads and prunes stored DMARC failure reports (RFC 6591): export rows, the report's section, retention.</summary>
internal static class FailureReportQueries
{
    internal sealed record FailureReportRow(
        DateTimeOffset Arrival, DateTimeOffset? ReportDate, string? ReportingDomain, string FeedbackType, string? UserAgent, string? Version,
        string? ReportedDomain, string? SourceIp, string? AuthFailure, string? IdentityAlignment, string? DeliveryResult,
        string? DkimDomain, string? DkimSelector, string? SpfDns, string? OriginalMailFrom, string? OriginalRcptTo, string? ArrivalDate,
        string? HeaderFrom, string? HeaderTo, string? Subject, string? HeaderDate, string? MessageId, string? AuthenticationResults,
        string Identity, string Source, DateTimeOffset Ingested);

    public static IAsyncEnumerable<FailureReportRow> ExportAsync(SqliteConnection connection, CancellationToken ct) =>
        ReadAsync(connection, long.MinValue, long.MaxValue, null, ct);

    /// <summary>Reports that arrived in the range (about <paramref name="domain"/> when given), oldest first.</summary>
    public static async IAsyncEnumerable<FailureReportRow> ReadAsync(SqliteConnection connection, long fromUtc, long toUtcExclusive, string? domain,
        [EnumeratorCancellation] CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT arrival_utc, report_date_utc, reporting_domain, feedback_type, user_agent, version, reported_domain, source_ip,
                   auth_failure, identity_alignment, delivery_result, dkim_domain, dkim_selector, spf_dns, original_mail_from,
                   original_rcpt_to, arrival_date, header_from, header_to, subject, header_date, message_id, authentication_results,
                   identity, source, ingested_utc
            FROM failure_reports
            WHERE arrival_utc >= $from AND arrival_utc < $to AND ($domain IS NULL OR reported_domain = $domain)
            ORDER BY arrival_utc, id
            """;
        Sql.Add(query, "$from", fromUtc);
        Sql.Add(query, "$to", toUtcExclusive);
        Sql.Add(query, "$domain", domain?.ToLowerInvariant());
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new FailureReportRow(
                Sql.Time(reader.GetInt64(0)), reader.IsDBNull(1) ? null : Sql.Time(reader.GetInt64(1)), Sql.Text(reader, 2), reader.GetString(3),
                Sql.Text(reader, 4), Sql.Text(reader, 5), Sql.Text(reader, 6), Sql.Text(reader, 7), Sql.Text(reader, 8), Sql.Text(reader, 9),
                Sql.Text(reader, 10), Sql.Text(reader, 11), Sql.Text(reader, 12), Sql.Text(reader, 13), Sql.Text(reader, 14), Sql.Text(reader, 15),
                Sql.Text(reader, 16), Sql.Text(reader, 17), Sql.Text(reader, 18), Sql.Text(reader, 19), Sql.Text(reader, 20), Sql.Text(reader, 21),
                Sql.Text(reader, 22), reader.GetString(23), reader.GetString(24), Sql.Time(reader.GetInt64(25)));
    }

    /// <summary>
    /// Deletes the failure reports that arrived before <paramref name="beforeUtc"/>, their raw bytes with them (one row holds
    /// both), and returns how many. RFC 9991's privacy section: they hold personal data, kept no longer than needed.
    /// </summary>
    /// <remarks>secure_delete overwrites the freed pages, and the checkpoint moves that into the database file and empties the
    /// write-ahead log: the deleted bytes are not left readable in either file.</remarks>
    public static async Task<long> PruneAsync(SqliteConnection connection, long beforeUtc, CancellationToken ct)
    {
        await Database.ExecuteAsync(connection, "PRAGMA secure_delete = ON", ct);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM failure_reports WHERE arrival_utc < $before";
        Sql.Add(delete, "$before", beforeUtc);
        var deleted = await delete.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        await Database.ExecuteAsync(connection, "PRAGMA wal_checkpoint(TRUNCATE)", ct);
        return deleted;
    }
}
