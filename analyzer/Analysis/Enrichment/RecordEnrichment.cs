using System.Runtime.CompilerServices;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis.Enrichment;

/// <summary>
/// The records export with who each source is: the catalogued service (by the PTR name cached by the last report,
/// the record's first verified DKIM signing domain, or the AS number) and the network databases' answer, looked
/// up once per distinct address and signing domain.
/// </summary>
internal static class RecordEnrichment
{
    public static async IAsyncEnumerable<RecordExportRow> EnrichAsync(
        IReadOnlyDictionary<string, PtrCacheEntry> names, SourceEnricher enricher, IAsyncEnumerable<RecordExportRow> rows,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var networks = new Dictionary<string, NetworkFacts>(StringComparer.Ordinal);
        var seen = new Dictionary<(string Ip, string? Dkim), SourceFacts>();
        await foreach (var row in rows.WithCancellation(ct))
        {
            var dkim = VerifiedDkimDomain(row.DkimResults);
            if (!seen.TryGetValue((row.SourceIp, dkim), out var facts))
            {
                if (!networks.TryGetValue(row.SourceIp, out var network))
                    networks[row.SourceIp] = network = enricher.Look(row.SourceIp);
                seen[(row.SourceIp, dkim)] = facts = enricher.Facts(network, names.GetValueOrDefault(row.SourceIp)?.Name, dkim);
            }
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

    /// <summary>The domain of the first passing signature in the export's "domain:selector:result" list.</summary>
    private static string? VerifiedDkimDomain(string? results)
    {
        if (results is null)
            return null;
        foreach (var result in results.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = result.Split(':');
            if (parts.Length == 3 && parts[2] == "pass" && parts[0].Length > 0)
                return parts[0];
        }
        return null;
    }
}
