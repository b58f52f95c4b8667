using System.CommandLine;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc run PATH... [--out DIR]</c>: the daily job in one command. Ingests the inputs, then writes the
/// report over everything in the store. Prints the ingest summary line, a line per domain, and the path
/// of index.html last; exits as ingest does (3 when some inputs failed).
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Report files or folders to ingest first (see 'dmarc ingest')",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Report folder (default: reports/)" };
        var noDns = new Option<bool>("--no-dns") { Description = "Do not look up reverse DNS names; use only those cached in the store" };
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var dns = new DnsCommandOptions();
        var command = new Command("run", "Ingest reports, then write the charts and the policy-readiness report") { paths, output, noDns };
        settings.AddTo(command);
        dns.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var configuration = settings.Load(result);
            var inputs = IngestConsole.Inputs(result.GetValue(paths)!);
            var resolver = await dns.CreateResolverAsync(result, configuration, ct);
            var outcome = await IngestConsole.IngestAsync(configuration, inputs, resolver, ct);
            if (outcome.ToOtherKindsLine() is { } otherKinds)
                Console.Out.WriteLine(otherKinds);
            Console.Out.WriteLine(outcome.ToSummaryLine());
            var report = await ReportConsole.WriteAsync(configuration, ReportConsole.Request(null, null, result.GetValue(output), png: false),
                result.GetValue(noDns) ? null : resolver, ct);
            return report != ExitCodes.Ok ? report : ExitCodes.Of(outcome);
        });
        return command;
    }
}
