using System.CommandLine;
using System.Globalization;
using DmarcAnalyzer.Analysis.Enrichment;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc enrich check [--config FILE]</c>: says what enrichment is loaded, one line each for the ASN database, the
/// country database (path, type, build date, networks) and the service catalogue (entries). Exit 0 when every
/// configured file loads (none configured is fine), 2 when one does not.
/// </summary>
internal static class EnrichCommand
{
    public static Command Create()
    {
        var settings = new CommandConfiguration();
        var check = new Command("check", "Say which network databases and service catalogue are loaded: build date and number of records");
        settings.AddTo(check);
        check.SetAction((ParseResult r, CancellationToken ct) =>
        {
            var configuration = settings.Load(r);
            var catalogue = EnrichmentSettings.Catalogue(configuration);
            NetworkDatabases databases;
            try
            {
                databases = NetworkDatabases.FromConfiguration(configuration);
            }
            catch (EnrichmentException e)
            {
                throw new UsageException($"configuration: {e.Message}");
            }
            using (databases)
            {
                Console.WriteLine(Line("asn", NetworkDatabases.AsnSetting, databases.AsnDatabase, ct));
                Console.WriteLine(Line("country", NetworkDatabases.CountrySetting, databases.CountryDatabase, ct));
            }
            var source = configuration[EnrichmentSettings.ServicesSetting] is { Length: > 0 } file ? "built in and " + file : "built in";
            Console.WriteLine($"services: {catalogue.Count.ToString(CultureInfo.InvariantCulture)} entries ({SafeText.Line(source)})");
            return Task.FromResult(ExitCodes.Ok);
        });
        var enrich = new Command("enrich", "Network, country and service names for report sources");
        enrich.Subcommands.Add(check);
        return enrich;
    }

    private static string Line(string name, string setting, NetworkDatabase? database, CancellationToken ct)
    {
        if (database is null)
            return $"{name}: not configured ({setting})";
        var info = database.Describe(ct);
        return $"{name}: {SafeText.Line(info.Path)}: {SafeText.Line(info.Type)}, built {info.BuildUtc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}, " +
               $"IPv{info.IpVersion.ToString(CultureInfo.InvariantCulture)}, {info.Networks.ToString(CultureInfo.InvariantCulture)} networks";
    }
}
