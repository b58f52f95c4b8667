using System.CommandLine;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc check spf DOMAIN</c>: the record, its include/redirect tree with each node's DNS-querying terms,
/// the totals against RFC 7208 §4.6.4, warnings and errors. Exit 0 when the record holds, 1 when not.
/// </summary>
internal static class CheckSpfCommand
{
    public static Command Create()
    {
        var domain = new Argument<string>("domain") { Description = "The domain whose SPF record to check" };
        var settings = new CommandConfiguration();
        var dns = new DnsCommandOptions();

        var command = new Command("spf", "Lint a domain's SPF record against RFC 7208's limits");
        command.Arguments.Add(domain);
        settings.AddTo(command);
        dns.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            // System.CommandLine's own handler would print a stack trace for bad usage found here.
            try
            {
                var resolver = await dns.CreateResolverAsync(r, settings.Load(r), ct);
                var report = await new SpfLinter(resolver).LintAsync(r.GetValue(domain)!, ct);
                Print(report, r.InvocationConfiguration.Output);
                return report.Holds ? ExitCodes.Ok : ExitCodes.Fatal;
            }
            catch (UsageException e)
            {
                await r.InvocationConfiguration.Error.WriteLineAsync($"dmarc: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }

    public static void Print(SpfLintReport report, TextWriter output)
    {
        if (report.Root is { } root)
            PrintNode(root, 0, output);
        output.WriteLine($"DNS-querying terms: {report.DnsTerms} of {SpfEvaluator.MaxDnsTerms}");
        output.WriteLine($"void lookups: {report.VoidLookups} of {SpfEvaluator.MaxVoidLookups}");
        foreach (var warning in report.Warnings)
            output.WriteLine($"warning: {warning}");
        foreach (var error in report.Errors)
            output.WriteLine($"error: {error}");
        output.WriteLine(report.Holds ? "ok" : "not ok");
    }

    private static void PrintNode(SpfLintNode node, int depth, TextWriter output)
    {
        var indent = new string(' ', depth * 2);
        var label = node.Via.Length == 0 ? node.Domain : $"{node.Via} ({node.Domain})";
        output.WriteLine($"{indent}{label}: {node.Record}  [{node.DnsTerms} DNS term{(node.DnsTerms == 1 ? "" : "s")}]");
        foreach (var child in node.Children)
            PrintNode(child, depth + 1, output);
    }
}
