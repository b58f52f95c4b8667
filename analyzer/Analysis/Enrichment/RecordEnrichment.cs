using System.Runtime.CompilerServices;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis.Enrichment;

/// <summary>
/// The records export with who each source is: the catalogued service (by the PTR name cached by the last report,
/// the record's verified DKIM signing domains in the order reported, or the AS number: <see cref="ServiceCatalogue.Match"/>) and the network databases' answer, looked
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
            var dkim = row.DkimResults is { } results ? OwnSigningDomains(results, row.HeaderFrom) : null;
            if (!seen.TryGetValue((row.SourceIp, dkim), out var facts))
            {
                if (!networks.TryGetValue(row.SourceIp, out var network))
                    networks[row.SourceIp] = network = enricher.Look(row.SourceIp);
                seen[(row.SourceIp, dkim)] = facts = enricher.Facts(network, names.GetValueOrDefault(row.SourceIp)?.Name, dkim?.Split(' '));
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

    /// <summary>
    /// The domains of the passing signatures in the export's "domain:selector:result" list other than the From domain,
    /// a parent or a child of it (as the report's <c>RecordQueries.SigningDomains</c>: those name the customer, not the
    /// service), space-separated, or null for none.
    /// </summary>
    private static string? OwnSigningDomains(string results, string? headerFrom)
    {
        var domains = results.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(result => result.Split(':'))
            .Where(parts => parts.Length == 3 && parts[2] == "pass" && parts[0].Length > 0 && !Related(parts[0], headerFrom))
            .Select(parts => parts[0])
            .ToList();
        return domains.Count == 0 ? null : string.Join(' ', domains);
    }

    private static bool Related(string domain, string? headerFrom) =>
        headerFrom is not null && (domain.Equals(headerFrom, StringComparison.OrdinalIgnoreCase)
            || domain.EndsWith("." + headerFrom, StringComparison.OrdinalIgnoreCase)
            || headerFrom.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase));
}
