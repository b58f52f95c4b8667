using System.CommandLine;

namespace DmarcAnalyzer.Cli;

/// <summary>Options that several subcommands share, made fresh for each command.</summary>
internal static class CommonOptions
{
    public const string DefaultDatabase = "dmarc.db";

    public static Option<FileInfo?> Database() => new("--db")
    {
        Description = $"SQLite database file (default: Storage:Database in the configuration, else ./{DefaultDatabase})",
    };

    public static Option<FileInfo?> Config() => new("--config")
    {
        Description = "Configuration file (default: $DMARC_CONFIG, else ./dmarc.json when present)",
    };
}
