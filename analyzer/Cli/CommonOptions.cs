using System.CommandLine;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Cli;

/// <summary>Options that several subcommands share, made fresh for each command.</summary>
internal static class CommonOptions
{
    public const string DefaultDatabase = "dmarc.db";

    /// <summary><c>--db</c>: a SQLite file (made absolute, as a file option is) or a PostgreSQL URL or connection string (as given).</summary>
    public static Option<string?> Database(string name = "--db") => new(name)
    {
        Description = $"SQLite database file, or a PostgreSQL URL (postgres://user@host/db) or connection string (Host=...;Database=...); "
            + $"default: Storage:Database in the configuration, else ./{DefaultDatabase}",
        CustomParser = r => r.Tokens.Count == 0 ? null
            : StoreLocation.IsPostgres(r.Tokens[0].Value) ? r.Tokens[0].Value : Path.GetFullPath(r.Tokens[0].Value),
    };

    public static Option<FileInfo?> Config() => new("--config")
    {
        Description = "Configuration file (default: $DMARC_CONFIG, else ./dmarc.json when present)",
    };
}
