using System.CommandLine;
using System.Net;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc verify spf --ip IP --mail-from SENDER --helo NAME</c>: RFC 7208 check_host(). Prints the result word
/// alone on the first line, then <c>explanation: TEXT</c> for a fail that has one, then the lookups used.
/// </summary>
internal static class VerifySpfCommand
{
    public static Command Create()
    {
        var ip = new Option<string>("--ip") { Description = "The SMTP client's address", Required = true };
        var mailFrom = new Option<string>("--mail-from") { Description = "The MAIL FROM address (empty: the HELO identity is checked)" };
        var helo = new Option<string>("--helo") { Description = "The HELO/EHLO name" };
        var config = CommonOptions.Config();
        var dns = new DnsCommandOptions();

        var command = new Command("spf", "Evaluate SPF (RFC 7208) for a client address, sender and HELO name");
        command.Options.Add(ip);
        command.Options.Add(mailFrom);
        command.Options.Add(helo);
        command.Options.Add(config);
        dns.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            // System.CommandLine's own handler would print a stack trace for bad usage found here.
            try
            {
                if (!IPAddress.TryParse(r.GetValue(ip), out var address))
                    throw new UsageException($"--ip: '{r.GetValue(ip)}' is not an IP address");
                var sender = r.GetValue(mailFrom) ?? "";
                var heloName = r.GetValue(helo) ?? "";
                if (sender.Length == 0 && heloName.Length == 0)
                    throw new UsageException("give --mail-from, --helo or both");
                var resolver = await dns.CreateResolverAsync(r, AppConfiguration.Load(r.GetValue(config)), ct);
                var result = await new SpfEvaluator(resolver, Environment.MachineName).CheckMailFromAsync(address, sender, heloName, ct);
                Print(result, r.InvocationConfiguration.Output);
                return ExitCodes.Ok;
            }
            catch (UsageException e)
            {
                await r.InvocationConfiguration.Error.WriteLineAsync($"dmarc: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }

    public static void Print(SpfResult result, TextWriter output)
    {
        output.WriteLine(result.Code.Word());
        if (result.Code == SpfResultCode.Fail && result.Explanation is { } explanation)
            output.WriteLine($"explanation: {explanation}");
        output.WriteLine($"lookups: {result.DnsLookups} of {SpfEvaluator.MaxDnsTerms}");
        output.WriteLine($"void lookups: {result.VoidLookups} of {SpfEvaluator.MaxVoidLookups}");
        if (result.Mechanism is { } mechanism)
            output.WriteLine($"mechanism: {mechanism}");
        if (result.Reason is { } reason)
            output.WriteLine($"reason: {reason}");
    }
}
