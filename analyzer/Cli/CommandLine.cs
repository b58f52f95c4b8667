using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace DmarcAnalyzer.Cli;

/// <summary>The <c>dmarc</c> command tree. Each subcommand lives in a file of its own.</summary>
internal static partial class CommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("DmarcAnalyzer: DMARC aggregate reports into SQLite, charts and policy readiness, and an inline milter.");
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(FailuresCommand.Create());
        root.Subcommands.Add(MilterCommand.Create());
        root.Subcommands.Add(ExceptionsCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(PollCommand.Create());
        root.Subcommands.Add(LearnCommand.Create());
        root.Subcommands.Add(PruneCommand.Create());
        root.Subcommands.Add(DbCommand.Create());
        root.Subcommands.Add(EnrichCommand.Create());
        root.Subcommands.Add(SendReportsCommand.Create());
        root.Subcommands.Add(DigestCommand.Create());
        root.Subcommands.Add(AlertCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(UserCommand.Create());
        root.Subcommands.Add(ReparseCommand.Create());

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                Console.Error.WriteLine($"dmarc: {Plain(error.Message)}");
            Console.Error.WriteLine(Hint(parsed));
            return ExitCodes.Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"dmarc: {e.Message}");
            Console.Error.WriteLine(Hint(parsed));
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("dmarc: stopped");
            return ExitCodes.Fatal;
        }
        catch (Exception e)
        {
            // Fatal: the message for the person, the stack for whoever fixes it.
            Console.Error.WriteLine($"dmarc: {e.Message}");
            Console.Error.WriteLine(e);
            return ExitCodes.Fatal;
        }
    }

    /// <summary>Where to read more: the help of the subcommand that was run (<c>dmarc failures show --help</c>).</summary>
    public static string Hint(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as CommandResult)
            names.Add(result.Parent is null ? "dmarc" : result.Command.Name);
        names.Reverse();
        return $"Try '{string.Join(' ', names)} --help'.";
    }

    /// <summary>
    /// System.CommandLine's messages name .NET types ("as expected type 'System.Int64'"): a person reads what kind of
    /// value was expected instead.
    /// </summary>
    public static string Plain(string message) =>
        ExpectedType().Replace(message, m => $"'{m.Groups["value"].Value}' is not {Kind(m.Groups["type"].Value)} (for {m.Groups["what"].Value})");

    private static string Kind(string type) => type switch
    {
        "System.Int32" or "System.Int64" or "System.UInt16" or "System.UInt32" or "System.UInt64" => "a whole number",
        "System.Double" or "System.Decimal" or "System.Single" => "a number",
        "System.Boolean" => "true or false",
        "System.TimeSpan" => "a duration like 00:15:00",
        "System.DateOnly" or "System.DateTime" or "System.DateTimeOffset" => "a date like 2026-02-16",
        _ => "a valid value",
    };

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for (?<what>(?:command|option|argument) '[^']*') as expected type '(?<type>[\w.`\[\]]+)'\.?")]
    private static partial Regex ExpectedType();
}
