using System.CommandLine;

namespace DmarcAnalyzer.Cli;

/// <summary>The <c>dmarc</c> command tree. Each subcommand lives in a file of its own.</summary>
internal static class CommandLine
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
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(UserCommand.Create());

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                Console.Error.WriteLine($"dmarc: {error.Message}");
            Console.Error.WriteLine("Try 'dmarc --help'.");
            return ExitCodes.Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"dmarc: {e.Message}");
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
}
