using System.CommandLine;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc alert [--dry-run] [--no-dns]</c>: evaluates the alert rules over the store and sends what fired since the
/// last run (<see cref="AlertConsole"/>). <c>--dry-run</c> prints the alerts and sends and records nothing;
/// <c>--no-dns</c> leaves out the record-changed rule, the one that asks DNS.
/// </summary>
internal static class AlertCommand
{
    public static Command Create()
    {
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the alerts that would fire; send and record nothing" };
        var noDns = new Option<bool>("--no-dns") { Description = "Do not look up the published DMARC and SPF records (no record-changed alerts)" };
        var dns = new DnsCommandOptions();
        var command = new Command("alert", "Evaluate the alert rules and send new alerts by mail and webhook") { dryRun, noDns };
        settings.AddTo(command);
        dns.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var configuration = settings.Load(r);
            var setup = AlertConsole.Setup.From(configuration);
            var resolver = r.GetValue(noDns) ? null : await dns.CreateResolverAsync(r, configuration, ct);
            using var logs = Logging.CreateFactory();
            return await AlertConsole.RunAsync(configuration, setup, resolver, r.GetValue(dryRun), Console.Out, logs, ct);
        });
        return command;
    }
}
