namespace DmarcAnalyzer.Dns;

/// <summary>Builds the resolver the CLI and the milter use. The cache is one per process, shared by every resolver made here.</summary>
internal static class DnsResolverFactory
{
    private const int CacheCapacity = 100_000;

    public static DnsCache SharedCache { get; } = new(CacheCapacity, TimeProvider.System);

    /// <summary>
    /// Loads the zone files and returns the resolver; a bad zone file throws <see cref="ZoneFileException"/>.
    /// A private <paramref name="cache"/> is for tests that point resolvers at different servers.
    /// </summary>
    public static async Task<DnsResolver> CreateAsync(DnsOptions options, CancellationToken ct, DnsCache? cache = null)
    {
        var transport = options.Offline ? null : new DnsTransport(options.Servers, options.Timeout, options.Retries);
        return new DnsResolver(await LoadZoneAsync(options.ZoneFiles, ct), cache ?? SharedCache, transport);
    }

    /// <summary>The records of the zone files; a bad one throws <see cref="ZoneFileException"/>.</summary>
    public static async Task<LocalZone> LoadZoneAsync(IReadOnlyList<string> zoneFiles, CancellationToken ct)
    {
        if (zoneFiles.Count == 0)
            return LocalZone.Empty;
        var records = new List<DnsRecord>();
        foreach (var file in zoneFiles)
            records.AddRange(await ZoneFile.LoadAsync(file, ct));
        return new LocalZone(records);
    }
}
