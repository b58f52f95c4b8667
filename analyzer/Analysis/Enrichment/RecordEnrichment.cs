using System.Runtime.CompilerServices;
using DmarcAnalyzer.Storage;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Analysis.Enrichment;

/// <summary>
/// The records export with who each source is: the catalogued service (by the PTR name cached by the last report,
/// or the AS number) and the network databases' answer, looked up once per distinct address.
/// </summary>
internal static class RecordEnrichment
{
    public static async IAsyncEnumerable<ExportQueries.RecordRow> EnrichAsync(
        SqliteConnection db, SourceEnricher enricher, IAsyncEnumerable<ExportQueries.RecordRow> rows, [EnumeratorCancellation] CancellationToken ct)
    {
        var names = await PtrCache.LoadAsync(db, ct);
        var seen = new Dictionary<string, SourceFacts>(StringComparer.Ordinal);
        await foreach (var row in rows.WithCancellation(ct))
        {
            if (!seen.TryGetValue(row.SourceIp, out var facts))
                seen[row.SourceIp] = facts = enricher.Facts(enricher.Look(row.SourceIp), names.GetValueOrDefault(row.SourceIp)?.Name);
            yield return row with
            {
                Service = facts.Service?.Name,
                ServiceType = facts.Service?.Type.Word(),
                Asn = facts.Network.Asn,
                AsOrg = facts.Network.AsOrg,
                Country = facts.Network.Country,
            };
        }
    }
}
