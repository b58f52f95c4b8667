using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Dns;

/// <summary>
/// Reads the zone files again and puts them in force in the resolver (the milter does on SIGHUP, so a partner's
/// local SPF record takes effect without a restart). <paramref name="zoneFiles"/> gives the list as the
/// configuration now names it, so files added to or taken out of it count too. A zone file that cannot be read
/// is logged and the records in force stay.
/// </summary>
internal sealed class ZoneReloader(DnsResolver resolver, Func<IReadOnlyList<string>> zoneFiles, ILogger<ZoneReloader> logger)
{
    public async Task ReloadAsync(CancellationToken ct)
    {
        var files = zoneFiles();
        if (files.Count == 0 && ReferenceEquals(resolver.Zone, LocalZone.Empty))
            return;
        try
        {
            resolver.Zone = await DnsResolverFactory.LoadZoneAsync(files, ct);
            logger.LogInformation("zone files reloaded: {Files}", files.Count == 0 ? "(none)" : string.Join(", ", files));
        }
        catch (Exception e) when (e is ZoneFileException or IOException or UnauthorizedAccessException)
        {
            logger.LogError("zone files not reloaded, the records in force stay: {Error}", e.Message);
        }
    }
}
