using System.CommandLine;
using DmarcAnalyzer.Filter;
using Spectre.Console;

namespace DmarcAnalyzer.Cli;

/// <summary><c>dmarc exceptions list</c>: the configured encrypted-archive exceptions and whether each still applies.</summary>
internal static class ExceptionsCommand
{
    public static Command Create()
    {
        var settings = new CommandConfiguration();
        var list = new Command("list", "Show the exceptions with who approved them, why, and whether they are in force");
        settings.AddTo(list);
        list.SetAction((ParseResult result) =>
        {
            FilterOptions options;
            try
            {
                options = FilterSettings.Bind(settings.Load(result));
            }
            catch (InvalidOperationException e)
            {
                throw new UsageException(e.Message);
            }
            var now = DateTimeOffset.UtcNow;
            var table = new Table().AddColumns("Sender", "Recipient", "Approved by", "Reason", "Expires", "State");
            foreach (var exception in options.Exceptions)
            {
                table.AddRow(
                    Markup.Escape(exception.Sender), Markup.Escape(exception.Recipient ?? "any"), Markup.Escape(exception.ApprovedBy),
                    Markup.Escape(exception.Reason), exception.Expires?.ToString("yyyy-MM-dd") ?? "never",
                    exception.IsExpired(now) ? "[red]expired[/]" : "[green]active[/]");
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"exceptions: {options.Exceptions.Count(e => !e.IsExpired(now))} active, {options.Exceptions.Count(e => e.IsExpired(now))} expired");
            return ExitCodes.Ok;
        });
        return new Command("exceptions", "Exceptions to the encrypted-attachment rule") { list };
    }
}
