using System.Data.Common;

namespace DmarcAnalyzer.Storage;

internal sealed record FoundReport(long Id, string Reporter, string ReportId, string Domain, DateTimeOffset Begin);

internal sealed record FoundSource(string Ip, string? PtrName);

internal sealed record SearchHits(IReadOnlyList<string> Domains, IReadOnlyList<FoundSource> Sources, IReadOnlyList<FoundReport> Reports);

/// <summary>The dashboard's search: policy domains, source addresses (by prefix or PTR name), reporters and report ids.</summary>
internal sealed class SearchQueries(DbConnection connection)
{
    public const int MaxHits = 100;

    public async Task<SearchHits> FindAsync(string text, CancellationToken ct)
    {
        var like = "%" + text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
        var domains = new List<string>();
        await using (var query = Command(@"SELECT DISTINCT domain FROM reports WHERE lower(domain) LIKE lower(@like) ESCAPE '\' ORDER BY domain LIMIT @limit", text, like))
        await using (var reader = await query.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                domains.Add(reader.GetString(0));

        var sources = new List<FoundSource>();
        // An address prefix walks the index on records(source_ip); a name matches the PTR names cached for report sources.
        await using (var query = Command("""
            SELECT ip, max(name) FROM (
                SELECT DISTINCT source_ip AS ip, NULL AS name FROM records WHERE source_ip >= @text AND source_ip < @text || '~'
                UNION ALL
                SELECT ip, name FROM ptr_cache WHERE lower(name) LIKE lower(@like) ESCAPE '\') AS found
            GROUP BY ip ORDER BY ip LIMIT @limit
            """, text, like))
        await using (var reader = await query.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                sources.Add(new FoundSource(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));

        var reports = new List<FoundReport>();
        await using (var query = Command("""
            SELECT id, org_name, report_id, domain, begin_utc FROM reports
             WHERE report_id = @text OR lower(org_name) LIKE lower(@like) ESCAPE '\' OR lower(email) LIKE lower(@like) ESCAPE '\'
             ORDER BY begin_utc DESC, id DESC LIMIT @limit
            """, text, like))
        await using (var reader = await query.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                reports.Add(new FoundReport(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(4))));
        return new SearchHits(domains, sources, reports);
    }

    private DbCommand Command(string sql, string text, string like)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        Sql.Add(command, "@text", text);
        Sql.Add(command, "@like", like);
        Sql.Add(command, "@limit", MaxHits);
        return command;
    }
}
