using DmarcAnalyzer.Analysis.Enrichment;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// The configuration's <c>Enrichment</c> section: <c>AsnDatabase</c> and <c>CountryDatabase</c> (.mmdb paths) and
/// <c>Services</c> (a catalogue file of the user's, read after the built-in one). A setting that names an unusable
/// file is a usage error that says which; no setting at all is fine.
/// </summary>
internal static class EnrichmentSettings
{
    public const string ServicesSetting = "Enrichment:Services";

    public static SourceEnricher Load(IConfiguration configuration)
    {
        var catalogue = Catalogue(configuration);
        try
        {
            return new SourceEnricher(NetworkDatabases.FromConfiguration(configuration), catalogue);
        }
        catch (EnrichmentException e)
        {
            throw new UsageException($"configuration: {e.Message}");
        }
    }

    public static ServiceCatalogue Catalogue(IConfiguration configuration)
    {
        try
        {
            return ServiceCatalogue.Load(configuration[ServicesSetting] is { Length: > 0 } path ? path : null);
        }
        catch (FormatException e)
        {
            throw new UsageException($"configuration: {ServicesSetting}: {e.Message}");
        }
    }
}
