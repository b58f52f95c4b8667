using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// Configuration: <c>dmarc.json</c> (or <c>--config</c>, or <c>$DMARC_CONFIG</c>), then environment
/// variables prefixed <c>DMARC_</c> (<c>DMARC_Storage__Database</c>), then the command-line options bound to keys
/// (<see cref="CommandConfiguration"/>): each layer wins over those before it.
/// </summary>
internal static class AppConfiguration
{
    public const string DatabaseKey = "Storage:Database";

    public static IConfigurationRoot Load(FileInfo? explicitFile, IReadOnlyDictionary<string, string?>? commandLine = null)
    {
        var builder = new ConfigurationBuilder();
        var path = explicitFile?.FullName ?? Environment.GetEnvironmentVariable("DMARC_CONFIG");
        if (path is not null)
        {
            if (!File.Exists(path))
                throw new UsageException($"configuration file not found: {path}");
            builder.AddJsonFile(path, optional: false, reloadOnChange: false);
        }
        else if (File.Exists("dmarc.json"))
        {
            builder.AddJsonFile(Path.GetFullPath("dmarc.json"), optional: true, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables("DMARC_");
        if (commandLine is { Count: > 0 })
            builder.AddInMemoryCollection(commandLine);
        return builder.Build();
    }

    public static string DatabasePath(IConfiguration config) => config[DatabaseKey] ?? CommonOptions.DefaultDatabase;

    /// <summary>A section bound onto its options record, or <paramref name="fallback"/> when the configuration has none.</summary>
    public static T Bind<T>(IConfiguration config, string section, T fallback) => config.GetSection(section).Get<T>() ?? fallback;
}
