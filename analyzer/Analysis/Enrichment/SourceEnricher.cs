using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis.Enrichment;

/// <summary>Who a source is: its network and country, and the catalogued service it belongs to.</summary>
internal sealed record SourceFacts(NetworkFacts Network, Service? Service)
{
    public static SourceFacts None { get; } = new(NetworkFacts.None, null);
}

/// <summary>
/// Looks up source addresses in the network databases, once per distinct address: answers are cached in the
/// store (network_cache) for the database builds that gave them, so the next report reads them back instead.
/// </summary>
internal sealed class SourceEnricher(NetworkDatabases networks, ServiceCatalogue catalogue)
{
    public static SourceEnricher None { get; } = new(NetworkDatabases.None, ServiceCatalogue.Empty);

    public ServiceCatalogue Catalogue { get; } = catalogue;

    /// <summary>The open databases; whoever loaded the enricher disposes them.</summary>
    public NetworkDatabases Networks { get; } = networks;

    /// <summary>The network facts of each address; with no database configured, none (and the store is not touched).</summary>
    public async Task<IReadOnlyDictionary<string, NetworkFacts>> NetworksAsync(
        IRecordQueries db, IReadOnlyCollection<string> addresses, CancellationToken ct)
    {
        var facts = new Dictionary<string, NetworkFacts>(StringComparer.Ordinal);
        if (!Networks.Any || addresses.Count == 0)
            return facts;
        var stamp = Networks.Stamp;
        var cached = await db.NetworkCacheAsync(stamp, ct);
        var answered = new List<NetworkCacheEntry>();
        foreach (var ip in addresses)
        {
            if (cached.TryGetValue(ip, out var hit))
            {
                facts[ip] = new NetworkFacts(hit.Asn, hit.AsOrg, hit.Country);
                continue;
            }
            var found = Networks.Look(ip);
            facts[ip] = found;
            answered.Add(new NetworkCacheEntry(ip, found.Asn, found.AsOrg, found.Country));
        }
        await db.SaveNetworkCacheAsync(stamp, answered, ct);
        return facts;
    }

    /// <summary>
    /// The facts of one source from its network, its forward-confirmed PTR name and its verified DKIM signing domains,
    /// weightiest first (<see cref="ServiceCatalogue.Match"/>).
    /// </summary>
    public SourceFacts Facts(NetworkFacts network, string? ptrName, IEnumerable<string>? dkimDomains = null) =>
        new(network, Catalogue.Match(ptrName, network.Asn, dkimDomains));

    /// <summary>For export: one address at a time, memoised by the caller; no store cache.</summary>
    public NetworkFacts Look(string ip) => Networks.Look(ip);
}
