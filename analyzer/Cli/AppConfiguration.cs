using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// Configuration: <c>dmarc.json</c> (or <c>--config</c>, or <c>$DMARC_CONFIG</c>), then environment
/// variables prefixed <c>DMARC_</c> (<c>DMARC_Storage__Database</c>). Command-line options win over both.
/// </summary>
internal static class AppConfiguration
{
    public static IConfigurationRoot Load(FileInfo? explicitFile)
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
        return builder.Build();
    }

    /// <summary>The database file in force; a folder is bad usage, said as such rather than as SQLite's "unable to open".</summary>
    public static string DatabasePath(FileInfo? option, IConfiguration config)
    {
        var path = option?.FullName ?? config["Storage:Database"] ?? CommonOptions.DefaultDatabase;
        if (Directory.Exists(path))
            throw new UsageException($"the database {path} is a folder: name a file, such as {Path.Combine(path, CommonOptions.DefaultDatabase)}");
        return path;
    }
}
