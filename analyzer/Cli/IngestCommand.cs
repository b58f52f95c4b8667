using System.CommandLine;

namespace DmarcAnalyzer.Cli;

/// <summary><c>dmarc ingest PATH... [--db FILE]</c>: files and folders (recursive) into the store.</summary>
internal static class IngestCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Report files (.xml, .gz, .zip, .eml, any name: the content decides) or folders, read recursively",
            Arity = ArgumentArity.OneOrMore,
        };
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var command = new Command("ingest", "Read DMARC aggregate reports into the database") { paths };
        settings.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var configuration = settings.Load(result);
            var outcome = await IngestConsole.IngestAsync(configuration, IngestConsole.Inputs(result.GetValue(paths)!), ct);
            if (outcome.ToOtherKindsLine() is { } otherKinds)
                Console.Out.WriteLine(otherKinds);
            Console.Out.WriteLine(outcome.ToSummaryLine());
            return ExitCodes.Of(outcome);
        });
        return command;
    }
}
