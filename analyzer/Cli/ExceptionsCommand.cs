using System.CommandLine;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Storage;
using Spectre.Console;

namespace DmarcAnalyzer.Cli;

/// <summary><c>dmarc exceptions list</c>: the encrypted-archive exceptions in force, the configuration's and those approved on the dashboard, and whether each still applies.</summary>
internal static class ExceptionsCommand
{
    public static Command Create()
    {
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var list = new Command("list", "Show the exceptions with who approved them, why, and whether they are in force");
        settings.AddTo(list);
        list.SetAction(async (ParseResult result, CancellationToken ct) =>
        {
            FilterOptions options;
            var configuration = settings.Load(result);
            try
            {
                options = FilterSettings.Bind(configuration);
            }
            catch (InvalidOperationException e)
            {
                throw new UsageException(e.Message);
            }
            // The milter applies both: the configuration's, and those approved on the dashboard (a store that does not exist has none).
            var database = AppConfiguration.DatabasePath(configuration);
            IReadOnlyList<FilterException> approved = [];
            if (StoreLocation.Exists(database))
            {
                await using var store = await Store.OpenAsync(database, ct);
                approved = StoredExceptions.Of(await store.ArchiveExceptions.ApprovedAsync(ct));
            }
            var all = options.Exceptions.Select(e => (Exception: e, From: "")).Concat(approved.Select(e => (Exception: e, From: " (dashboard)"))).ToList();
            var now = DateTimeOffset.UtcNow;
            // Addresses and dates are never broken across lines; the reason wraps instead.
            var table = new Table().AddColumns(
                new TableColumn("Sender").NoWrap(), new TableColumn("Recipient").NoWrap(), new TableColumn("Approved by"),
                new TableColumn("Reason"), new TableColumn("Expires").NoWrap(), new TableColumn("State").NoWrap());
            foreach (var (exception, from) in all)
            {
                table.AddRow(
                    Markup.Escape(exception.Sender), Markup.Escape(exception.Recipient ?? "any"), Markup.Escape(exception.ApprovedBy + from),
                    Markup.Escape(exception.Reason), exception.Expires?.ToString("yyyy-MM-dd") ?? "never",
                    exception.IsExpired(now) ? "[red]expired[/]" : "[green]active[/]");
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"{options.Exceptions.Count} in the configuration, {approved.Count} approved on the dashboard (dmarc serve)");
            Console.WriteLine($"exceptions: {all.Count(e => !e.Exception.IsExpired(now))} active, {all.Count(e => e.Exception.IsExpired(now))} expired");
            return ExitCodes.Ok;
        });
        return new Command("exceptions", "Exceptions to the encrypted-attachment rule") { list };
    }
}
