using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc prune --failure-reports-older-than 90d</c>: deletes failure reports (and their raw bytes) that arrived longer
/// ago than that; they hold personal data (RFC 9991), so the administrator runs this on a schedule of their choosing.
/// <c>dmarc prune --older-than 400d</c>: retention of the rest (<see cref="Retention"/>): records, raw reports, verdicts and
/// unreadable inputs older than that; reports' summaries stay. Either or both, on SQLite and PostgreSQL alike.
/// </summary>
internal static partial class PruneCommand
{
    public static Command Create()
    {
        var age = new Option<string>("--failure-reports-older-than")
        {
            Description = "Delete failure reports that arrived longer ago than this: a number of days, as 90d",
        };
        var olderThan = new Option<string>("--older-than")
        {
            Description = "Delete records, raw reports, verdicts and unreadable inputs older than this (reports' summaries stay): days, as 400d",
        };
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var command = new Command("prune", "Delete stored data older than an age: failure reports (personal data, RFC 9991), records and verdicts")
            { age, olderThan };
        settings.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var failureReportDays = result.GetValue(age) is { } a ? Days(a, "--failure-reports-older-than") : (int?)null;
            var retentionDays = result.GetValue(olderThan) is { } o ? Days(o, "--older-than") : (int?)null;
            if (failureReportDays is null && retentionDays is null)
                throw new UsageException("give --older-than, --failure-reports-older-than or both");
            var path = AppConfiguration.DatabasePath(settings.Load(result));
            if (!StoreLocation.Exists(path))
                throw new UsageException($"no database at {path}: name one with --db");
            await using var store = await Store.OpenAsync(path, ct);
            if (failureReportDays is { } days)
            {
                var before = DateTimeOffset.UtcNow.AddDays(-days);
                var deleted = await store.FailureReports.PruneAsync(before.ToUnixTimeSeconds(), ct);
                Console.Out.WriteLine($"failure reports: {deleted} deleted (arrived before {When(before)})");
            }
            if (retentionDays is { } retention)
            {
                var before = DateTimeOffset.UtcNow.AddDays(-retention);
                var pruned = await Retention.PruneAsync(store, before.ToUnixTimeSeconds(), ct);
                if (store.Kind == StoreKind.Postgres)
                    Console.Out.WriteLine(Dropped(pruned.Dropped));
                Console.Out.WriteLine($"pruned before {When(before)}: {pruned.Records} records, {pruned.RawReports} raw reports, "
                    + $"{pruned.Verdicts} verdicts, {pruned.Failures} unreadable inputs");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>On PostgreSQL, the months whose partitions went whole (the rest before the cut-off went row by row).</summary>
    private static string Dropped(DroppedMonths dropped)
    {
        static string Months(IReadOnlyList<int> months) => string.Join(", ", months.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m / 100:D4}-{m % 100:D2}")));
        var parts = new List<string>();
        if (dropped.RecordMonths.Count > 0)
            parts.Add($"records of {Months(dropped.RecordMonths)} ({dropped.Records} records)");
        if (dropped.VerdictMonths.Count > 0)
            parts.Add($"verdicts of {Months(dropped.VerdictMonths)} ({dropped.Verdicts} verdicts)");
        return "partitions dropped: " + (parts.Count == 0 ? "none" : string.Join("; ", parts));
    }

    private static string When(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static int Days(string text, string option)
    {
        var match = Age().Match(text.Trim());
        if (!match.Success || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days > 100_000)
            throw new UsageException($"{option}: \"{text}\" is not an age in days, as 90d");
        return days;
    }

    [GeneratedRegex("^([0-9]+)d?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Age();
}
