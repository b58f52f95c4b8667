using System.Data.Common;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Storage;

internal sealed record ReportDetail(
    long Id, string Reporter, string? Email, string ReportId, string Domain, DateTimeOffset Begin, DateTimeOffset End,
    string? P, string? Sp, string? Np, string Source, IReadOnlyList<ReportDetailRecord> Records)
{
    /// <summary>What the DKIM signatures of the mail it came in said (red-team F9); null: stored before reports were verified.</summary>
    public ReportAuthVerdict? Auth { get; init; }

    /// <summary>The d= of the signatures that verified, comma-separated.</summary>
    public string? AuthDomains { get; init; }
}

internal sealed record ReportDetailRecord(
    string SourceIp, long Count, string? Disposition, string? DkimEval, string? SpfEval, string? HeaderFrom,
    string? DkimDomain, string? DkimResult, string? SpfDomain, string? SpfResult);

/// <summary>One stored report with its records, for the dashboard's report page.</summary>
internal sealed class ReportDetailQueries(DbConnection connection)
{
    public const int MaxRecords = 1000;

    public async Task<ReportDetail?> FindAsync(long id, CancellationToken ct)
    {
        await using var head = connection.CreateCommand();
        head.CommandText = "SELECT org_name, email, report_id, domain, begin_utc, end_utc, p, sp, np, source, auth, auth_domains FROM reports WHERE id = @id";
        Sql.Add(head, "@id", id);
        ReportDetail detail;
        // Read whole before the records are asked for: PostgreSQL runs one command at a time on a connection.
        await using (var h = await head.ExecuteReaderAsync(ct))
        {
            if (!await h.ReadAsync(ct))
                return null;
            detail = new ReportDetail(id, h.GetString(0), Text(h, 1), h.GetString(2), h.GetString(3),
                DateTimeOffset.FromUnixTimeSeconds(h.GetInt64(4)), DateTimeOffset.FromUnixTimeSeconds(h.GetInt64(5)),
                Text(h, 6), Text(h, 7), Text(h, 8), h.GetString(9), [])
            {
                Auth = ReportAuthentication.Parse(Text(h, 10)),
                AuthDomains = Text(h, 11),
            };
        }

        await using var body = connection.CreateCommand();
        body.CommandText = """
            SELECT source_ip, count, disposition, dkim_eval, spf_eval, header_from, dkim_domain, dkim_result, spf_domain, spf_result
              FROM records WHERE report = @id ORDER BY count DESC, id LIMIT @limit
            """;
        Sql.Add(body, "@id", id);
        Sql.Add(body, "@limit", MaxRecords);
        await using var r = await body.ExecuteReaderAsync(ct);
        var records = new List<ReportDetailRecord>();
        while (await r.ReadAsync(ct))
            records.Add(new ReportDetailRecord(r.GetString(0), r.GetInt64(1), Text(r, 2), Text(r, 3), Text(r, 4), Text(r, 5),
                Text(r, 6), Text(r, 7), Text(r, 8), Text(r, 9)));
        return detail with { Records = records };
    }

    private static string? Text(DbDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
}
