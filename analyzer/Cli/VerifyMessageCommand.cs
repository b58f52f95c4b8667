using System.CommandLine;
using System.Net;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc verify message FILE.eml [--ip IP --helo NAME --mail-from SENDER] [--zone FILE]... [--offline] [--dns SERVER]</c>:
/// prints the Authentication-Results field it would add, folded.
/// </summary>
internal static class VerifyMessageCommand
{
    public static Command Create(AuthCommandServices services)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The message (RFC 5322, CRLF or LF line ends)" };
        var ip = new Option<string?>("--ip") { Description = "Client IP address for SPF; without it SPF is reported as none" };
        var helo = new Option<string?>("--helo") { Description = "HELO/EHLO name" };
        var mailFrom = new Option<string?>("--mail-from") { Description = "MAIL FROM address (empty for the null sender)" };
        var zones = new Option<FileInfo[]>("--zone") { Description = "Local zone file answering before DNS (repeatable)" };
        var offline = new Option<bool>("--offline") { Description = "Answer from zone files only, never the network" };
        var server = new Option<string?>("--dns") { Description = "DNS server to ask instead of the system's" };
        var config = CommonOptions.Config();
        var command = new Command("message", "Verify DKIM and DMARC (and SPF with --ip) of a message; print its Authentication-Results");
        command.Arguments.Add(file);
        foreach (var option in new Option[] { ip, helo, mailFrom, zones, offline, server, config })
            command.Options.Add(option);

        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var settings = AuthSettings.From(AppConfiguration.Load(r.GetValue(config)));
            var path = r.GetValue(file)!;
            if (!path.Exists)
                throw new UsageException($"message file not found: {path.FullName}");
            var dns = services.Resolver(new DnsChoice(r.GetValue(zones) ?? [], r.GetValue(offline), r.GetValue(server)));
            var psl = settings.Discovery == DmarcDiscoveryMode.PublicSuffixList
                ? await LoadPslAsync(settings.PublicSuffixListPath, ct)
                : null;

            var spf = await SpfAsync(r.GetValue(ip), r.GetValue(helo), r.GetValue(mailFrom), dns, services, ct);
            await using var message = path.OpenRead();
            var result = await new MessageAuthenticator(dns, settings.Discovery, psl).AuthenticateAsync(message, spf, ct);
            await r.InvocationConfiguration.Output.WriteLineAsync(
                $"{AuthenticationResultsWriter.FieldName}: {result.AuthenticationResults(settings.AuthservId)}".ReplaceLineEndings("\n"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<SpfOutcome> SpfAsync(string? ip, string? helo, string? mailFrom, IDnsResolver dns,
        AuthCommandServices services, CancellationToken ct)
    {
        if (ip is null)
            return new SpfOutcome("none", "", Comment: "not checked: no --ip given");
        if (!IPAddress.TryParse(ip, out var address))
            throw new UsageException($"--ip {ip} is not an IP address");
        return await services.CheckSpf(new SpfQuery(address, helo, mailFrom), dns, ct);
    }

    private static async Task<PublicSuffixList> LoadPslAsync(string path, CancellationToken ct)
    {
        try
        {
            return await PublicSuffixList.LoadAsync(path, ct);
        }
        catch (PublicSuffixListMissingException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
