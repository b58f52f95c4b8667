using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Dns;

/// <summary>
/// Reads the zone files again and puts them in force in the resolver (the milter does on SIGHUP, so a partner's
/// local SPF record takes effect without a restart). A zone file that cannot be read is logged and the records
/// in force stay.
/// </summary>
internal sealed class ZoneReloader(DnsResolver resolver, IReadOnlyList<string> zoneFiles, ILogger<ZoneReloader> logger)
{
    public async Task ReloadAsync(CancellationToken ct)
    {
        if (zoneFiles.Count == 0)
            return;
        try
        {
            resolver.Zone = await DnsResolverFactory.LoadZoneAsync(zoneFiles, ct);
            logger.LogInformation("zone files reloaded: {Files}", string.Join(", ", zoneFiles));
        }
        catch (Exception e) when (e is ZoneFileException or IOException or UnauthorizedAccessException)
        {
            logger.LogError("zone files not reloaded, the records in force stay: {Error}", e.Message);
        }
    }
}
