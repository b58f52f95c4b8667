using DmarcAnalyzer.Storage;
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

    /// <summary>A file holding the PostgreSQL password alone (never on the command line).</summary>
    public const string PasswordFileKey = "Storage:PasswordFile";

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

    /// <summary>
    /// The database in force: a SQLite file, or a PostgreSQL connection string with <see cref="PasswordFileKey"/> in it. A folder
    /// is bad usage, said as such rather than as SQLite's "unable to open"; so is a PostgreSQL URL that is not one.
    /// </summary>
    public static string DatabasePath(IConfiguration config) => DatabasePath(config, config[DatabaseKey] ?? CommonOptions.DefaultDatabase);

    /// <summary><paramref name="path"/> checked as <see cref="DatabasePath(IConfiguration)"/> checks the configured one (<c>db copy --to</c>).</summary>
    public static string DatabasePath(IConfiguration config, string path)
    {
        if (StoreLocation.IsPostgres(path))
        {
            try
            {
                var database = StoreLocation.WithPasswordFile(path, config[PasswordFileKey]);
                StoreLocation.Postgres(database, readPassword: false);
                return database;
            }
            catch (StoreLocationException e)
            {
                throw new UsageException(e.Message);
            }
        }
        if (Directory.Exists(path))
            throw new UsageException($"the database {path} is a folder: name a file, such as {Path.Combine(path, CommonOptions.DefaultDatabase)}");
        return path;
    }

    /// <summary>A section bound onto its options record, or <paramref name="fallback"/> when the configuration has none.</summary>
    public static T Bind<T>(IConfiguration config, string section, T fallback) => config.GetSection(section).Get<T>() ?? fallback;
}
