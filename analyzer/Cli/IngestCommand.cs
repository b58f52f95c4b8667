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
        var dns = new DnsCommandOptions();
        var command = new Command("ingest", "Read DMARC aggregate reports into the database") { paths };
        settings.AddTo(command);
        dns.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var configuration = settings.Load(result);
            var inputs = IngestConsole.Inputs(result.GetValue(paths)!);
            var outcome = await IngestConsole.IngestAsync(configuration, inputs, await dns.CreateResolverAsync(result, configuration, ct), ct);
            if (outcome.ToOtherKindsLine() is { } otherKinds)
                Console.Out.WriteLine(otherKinds);
            Console.Out.WriteLine(outcome.ToSummaryLine());
            return ExitCodes.Of(outcome);
        });
        return command;
    }
}
