using System.Runtime.CompilerServices;
using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>The <see cref="ITlsReportQueries"/> of both stores (the same SQL on SQLite and PostgreSQL).</summary>
internal sealed class TlsReportQueries(DbConnection connection) : ITlsReportQueries
{
    /// <summary>The policy domain of a policy block that names none.</summary>
    public const string NoDomain = "(none)";

    public async IAsyncEnumerable<TlsExportRow> ExportAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT r.organization_name, r.report_id, r.begin_utc, r.end_utc, r.contact_info,
                   p.policy_type, p.policy_string, p.policy_domain, p.mx_host, p.successful_sessions, p.failed_sessions,
                   d.result_type, d.sending_mta_ip, d.receiving_mx_hostname, d.receiving_mx_helo, d.receiving_ip,
                   d.failed_sessions, d.additional_information, d.failure_reason_code, r.source, r.ingested_utc, r.auth, r.auth_domains
            FROM tls_reports r JOIN tls_policies p ON p.report = r.id LEFT JOIN tls_failure_details d ON d.policy = p.id
            ORDER BY r.begin_utc, r.id, p.position, d.id
            """;
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new TlsExportRow(
                reader.GetString(0), reader.GetString(1), Sql.Time(reader.GetInt64(2)), Sql.Time(reader.GetInt64(3)), Sql.Text(reader, 4),
                reader.GetString(5), Sql.Text(reader, 6), Sql.Text(reader, 7), Sql.Text(reader, 8), reader.GetInt64(9), reader.GetInt64(10),
                Sql.Text(reader, 11), Sql.Text(reader, 12), Sql.Text(reader, 13), Sql.Text(reader, 14), Sql.Text(reader, 15),
                reader.IsDBNull(16) ? null : reader.GetInt64(16), Sql.Text(reader, 17), Sql.Text(reader, 18), reader.GetString(19),
                Sql.Time(reader.GetInt64(20)))
            {
                Auth = Sql.Text(reader, 21),
                AuthDomains = Sql.Text(reader, 22),
            };
    }

    public async Task<IReadOnlyList<TlsPolicyRow>> PoliciesAsync(long fromUtc, long toUtcExclusive, string? domain, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT p.id, p.policy_domain, p.policy_type, r.begin_utc, p.successful_sessions, p.failed_sessions
            FROM tls_reports r JOIN tls_policies p ON p.report = r.id
            WHERE r.begin_utc >= @from AND r.begin_utc < @to AND (CAST(@domain AS TEXT) IS NULL OR p.policy_domain = CAST(@domain AS TEXT))
            ORDER BY r.begin_utc, p.id
            """;
        AddRange(query, fromUtc, toUtcExclusive, domain);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<TlsPolicyRow>();
        while (await reader.ReadAsync(ct))
            rows.Add(new TlsPolicyRow(reader.GetInt64(0), Sql.Text(reader, 1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
        return rows;
    }

    public async Task<IReadOnlyList<TlsDetailRow>> FailureDetailsAsync(long fromUtc, long toUtcExclusive, string? domain, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT d.policy, d.result_type, d.receiving_mx_hostname, d.sending_mta_ip, d.failed_sessions
            FROM tls_reports r JOIN tls_policies p ON p.report = r.id JOIN tls_failure_details d ON d.policy = p.id
            WHERE r.begin_utc >= @from AND r.begin_utc < @to AND (CAST(@domain AS TEXT) IS NULL OR p.policy_domain = CAST(@domain AS TEXT))
            ORDER BY d.id
            """;
        AddRange(query, fromUtc, toUtcExclusive, domain);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<TlsDetailRow>();
        while (await reader.ReadAsync(ct))
            rows.Add(new TlsDetailRow(reader.GetInt64(0), reader.GetString(1), Sql.Text(reader, 2), Sql.Text(reader, 3), reader.GetInt64(4)));
        return rows;
    }

    public async Task<IReadOnlyList<ReporterAuthRow>> ReportersAsync(long fromUtc, long toUtcExclusive, string? domain, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        // A report counts once per policy domain it names, however many policy blocks it has for it.
        query.CommandText = """
            SELECT coalesce(p.policy_domain, CAST(@none AS TEXT)), r.organization_name, r.auth, r.auth_domains, count(DISTINCT r.id)
            FROM tls_reports r JOIN tls_policies p ON p.report = r.id
            WHERE r.begin_utc >= @from AND r.begin_utc < @to AND (CAST(@domain AS TEXT) IS NULL OR p.policy_domain = CAST(@domain AS TEXT))
            GROUP BY 1, 2, 3, 4
            ORDER BY 1, 2, 3, 4
            """;
        AddRange(query, fromUtc, toUtcExclusive, domain);
        Sql.Add(query, "@none", NoDomain);
        return await ReportAuthQueries.ReadAsync(query, ct);
    }

    private static void AddRange(DbCommand query, long fromUtc, long toUtcExclusive, string? domain)
    {
        Sql.Add(query, "@from", fromUtc);
        Sql.Add(query, "@to", toUtcExclusive);
        Sql.Add(query, "@domain", domain?.ToLowerInvariant());
    }
}
