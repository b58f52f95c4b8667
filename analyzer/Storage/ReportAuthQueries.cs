using System.Data.Common;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// How many of a reporter's reports for a domain had each verdict and set of passing signers (<see cref="ReportAuthentication"/>);
/// <paramref name="Verdict"/> null: stored before reports were verified. <paramref name="AuthDomains"/>: the d= that verified, comma-separated.
/// </summary>
internal sealed record ReporterAuthRow(string Domain, string Reporter, ReportAuthVerdict? Verdict, long Reports)
{
    public string? AuthDomains { get; init; }
}

/// <summary>What the report mail's DKIM said, per reporter, for the HTML report and the dashboard (the same SQL on SQLite and PostgreSQL).</summary>
internal sealed class ReportAuthQueries(DbConnection connection)
{
    public async Task<IReadOnlyList<ReporterAuthRow>> ReportersAsync(long fromUtc, long toUtcExclusive, string? domain, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT domain, org_name, auth, auth_domains, count(*)
            FROM reports
            WHERE begin_utc >= @from AND begin_utc < @to AND (CAST(@domain AS TEXT) IS NULL OR domain = CAST(@domain AS TEXT))
            GROUP BY domain, org_name, auth, auth_domains
            ORDER BY domain, org_name, auth, auth_domains
            """;
        Sql.Add(query, "@from", fromUtc);
        Sql.Add(query, "@to", toUtcExclusive);
        Sql.Add(query, "@domain", domain);
        return await ReadAsync(query, ct);
    }

    /// <summary>The rows of <see cref="ReporterAuthRow"/> from a query of domain, reporter, auth, auth_domains and a count.</summary>
    internal static async Task<IReadOnlyList<ReporterAuthRow>> ReadAsync(DbCommand query, CancellationToken ct)
    {
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<ReporterAuthRow>();
        while (await reader.ReadAsync(ct))
            rows.Add(new ReporterAuthRow(reader.GetString(0), reader.GetString(1), ReportAuthentication.Parse(Sql.Text(reader, 2)), reader.GetInt64(4))
            {
                AuthDomains = Sql.Text(reader, 3),
            });
        return rows;
    }
}
