using System.CommandLine;
using DmarcAnalyzer.Auth.Dmarc;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc check dmarc DOMAIN</c>: lints the DMARC record that applies to DOMAIN and compares the RFC 9989 tree walk
/// with the Public Suffix List. Exit 0 when there is no error (warnings allowed), 1 when there is one.
/// </summary>
internal static class CheckDmarcCommand
{
    public static Command Create()
    {
        var domain = new Argument<string>("DOMAIN") { Description = "The domain whose DMARC record to check" };
        var dnsOptions = new DnsCommandOptions();
        var settings = new CommandConfiguration();
        var command = new Command("dmarc", "Check a domain's DMARC record: syntax, policies, report destinations, tree walk vs PSL");
        command.Arguments.Add(domain);
        settings.AddTo(command);
        dnsOptions.AddTo(command);

        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var configuration = settings.Load(r);
            var auth = AuthSettings.From(configuration);
            var dns = await dnsOptions.CreateResolverAsync(r, configuration, ct);
            PublicSuffixList? psl = null;
            string? pslError = null;
            try
            {
                psl = await PublicSuffixList.LoadAsync(auth.PublicSuffixListPath, ct);
            }
            catch (PublicSuffixListMissingException e)
            {
                pslError = e.Message;
            }

            var report = await new DmarcRecordCheck(dns, psl, pslError).CheckAsync(r.GetValue(domain)!, ct);
            var output = r.InvocationConfiguration.Output;
            if (report.Record is not null)
                await output.WriteLineAsync($"_dmarc.{report.RecordDomain}: {report.Record.Text}");
            foreach (var finding in report.Findings)
                await output.WriteLineAsync($"{finding.Severity}: {finding.Message}");
            return report.HasErrors ? ExitCodes.Fatal : ExitCodes.Ok;
        });
        return command;
    }
}
