using System.Runtime.CompilerServices;
using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>The <see cref="IFailureReportQueries"/> of both stores (the same SQL on SQLite and PostgreSQL).</summary>
internal sealed class FailureReportQueries(DbConnection connection) : IFailureReportQueries
{
    public IAsyncEnumerable<FailureReportRow> ExportAsync(CancellationToken ct) => ReadAsync(long.MinValue, long.MaxValue, null, ct);

    public async IAsyncEnumerable<FailureReportRow> ReadAsync(long fromUtc, long toUtcExclusive, string? domain,
        [EnumeratorCancellation] CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT arrival_utc, report_date_utc, reporting_domain, feedback_type, user_agent, version, reported_domain, source_ip,
                   auth_failure, identity_alignment, delivery_result, dkim_domain, dkim_selector, spf_dns, original_mail_from,
                   original_rcpt_to, arrival_date, header_from, header_to, subject, header_date, message_id, authentication_results,
                   identity, source, ingested_utc, auth, auth_domains
            FROM failure_reports
            WHERE arrival_utc >= @from AND arrival_utc < @to AND (CAST(@domain AS TEXT) IS NULL OR reported_domain = CAST(@domain AS TEXT))
            ORDER BY arrival_utc, id
            """;
        Sql.Add(query, "@from", fromUtc);
        Sql.Add(query, "@to", toUtcExclusive);
        Sql.Add(query, "@domain", domain?.ToLowerInvariant());
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new FailureReportRow(
                Sql.Time(reader.GetInt64(0)), reader.IsDBNull(1) ? null : Sql.Time(reader.GetInt64(1)), Sql.Text(reader, 2), reader.GetString(3),
                Sql.Text(reader, 4), Sql.Text(reader, 5), Sql.Text(reader, 6), Sql.Text(reader, 7), Sql.Text(reader, 8), Sql.Text(reader, 9),
                Sql.Text(reader, 10), Sql.Text(reader, 11), Sql.Text(reader, 12), Sql.Text(reader, 13), Sql.Text(reader, 14), Sql.Text(reader, 15),
                Sql.Text(reader, 16), Sql.Text(reader, 17), Sql.Text(reader, 18), Sql.Text(reader, 19), Sql.Text(reader, 20), Sql.Text(reader, 21),
                Sql.Text(reader, 22), reader.GetString(23), reader.GetString(24), Sql.Time(reader.GetInt64(25)))
            {
                Auth = Sql.Text(reader, 26),
                AuthDomains = Sql.Text(reader, 27),
            };
    }

    public async Task<long> PruneAsync(long beforeUtc, CancellationToken ct)
    {
        var sqlite = connection as Microsoft.Data.Sqlite.SqliteConnection;
        if (sqlite is not null)
            await Database.ExecuteAsync(sqlite, "PRAGMA secure_delete = ON", ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM failure_reports WHERE arrival_utc < @before";
        Sql.Add(delete, "@before", beforeUtc);
        var deleted = await delete.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        if (sqlite is not null)
            await Database.ExecuteAsync(sqlite, "PRAGMA wal_checkpoint(TRUNCATE)", ct);
        return deleted;
    }
}
