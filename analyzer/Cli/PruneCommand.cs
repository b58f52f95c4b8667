using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc prune --failure-reports-older-than 90d</c>: deletes failure reports (and their raw bytes) that arrived longer
/// ago than that; they hold personal data (RFC 9991), so the administrator runs this on a schedule of their choosing.
/// </summary>
internal static partial class PruneCommand
{
    public static Command Create()
    {
        var age = new Option<string>("--failure-reports-older-than")
        {
            Description = "Delete failure reports that arrived longer ago than this: a number of days, as 90d",
            Required = true,
        };
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var command = new Command("prune", "Delete stored failure reports older than an age (personal data, RFC 9991)") { age };
        settings.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var days = Days(result.GetValue(age)!);
            var path = AppConfiguration.DatabasePath(settings.Load(result));
            if (!File.Exists(path))
                throw new UsageException($"no database at {path}: name one with --db");
            await using var store = await Store.OpenAsync(path, ct);
            var before = DateTimeOffset.UtcNow.AddDays(-days);
            var deleted = await store.FailureReports.PruneAsync(before.ToUnixTimeSeconds(), ct);
            Console.Out.WriteLine($"failure reports: {deleted} deleted (arrived before {before.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static int Days(string text)
    {
        var match = Age().Match(text.Trim());
        if (!match.Success || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days > 100_000)
            throw new UsageException($"--failure-reports-older-than: \"{text}\" is not an age in days, as 90d");
        return days;
    }

    [GeneratedRegex("^([0-9]+)d?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Age();
}
