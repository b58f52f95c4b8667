using System.CommandLine;
using System.Net;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc verify message FILE.eml [--ip IP --helo NAME --mail-from SENDER] [--zone FILE]... [--offline] [--dns SERVER]...</c>:
/// prints the Authentication-Results field it would add, folded.
/// </summary>
internal static class VerifyMessageCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The message (RFC 5322, CRLF or LF line ends)" };
        var ip = new Option<string?>("--ip") { Description = "Client IP address for SPF; without it SPF is reported as none" };
        var helo = new Option<string?>("--helo") { Description = "HELO/EHLO name" };
        var mailFrom = new Option<string?>("--mail-from") { Description = "MAIL FROM address (empty for the null sender)" };
        var config = CommonOptions.Config();
        var dnsOptions = new DnsCommandOptions();
        var command = new Command("message", "Verify DKIM and DMARC (and SPF with --ip) of a message; print its Authentication-Results");
        command.Arguments.Add(file);
        foreach (var option in new Option[] { ip, helo, mailFrom, config })
            command.Options.Add(option);
        dnsOptions.AddTo(command);

        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var configuration = AppConfiguration.Load(r.GetValue(config));
            var settings = AuthSettings.From(configuration);
            var path = r.GetValue(file)!;
            if (!path.Exists)
                throw new UsageException($"message file not found: {path.FullName}");
            var dns = await dnsOptions.CreateResolverAsync(r, configuration, ct);
            var psl = settings.Discovery == DmarcDiscoveryMode.PublicSuffixList
                ? await LoadPslAsync(settings.PublicSuffixListPath, ct)
                : null;

            var smtp = Identities(r.GetValue(ip), r.GetValue(helo) ?? "", r.GetValue(mailFrom) ?? "");
            var authenticator = new MessageAuthenticator(dns, settings.AuthservId, settings.Discovery, psl);
            await using var message = path.OpenRead();
            var result = smtp is null
                ? await authenticator.AuthenticateAsync(message, SpfOutcome.NotChecked("no --ip given"), ct)
                : await authenticator.AuthenticateAsync(smtp, message, ct);
            await r.InvocationConfiguration.Output.WriteLineAsync(
                $"{AuthenticationResultsWriter.FieldName}: {result.AuthenticationResults(settings.AuthservId)}".ReplaceLineEndings("\n"));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The SMTP identities SPF is checked for; null without --ip, when SPF is not checked.</summary>
    private static SmtpIdentities? Identities(string? ip, string helo, string mailFrom)
    {
        if (ip is null)
            return null;
        if (!IPAddress.TryParse(ip, out _))
            throw new UsageException($"--ip {ip} is not an IP address");
        if (mailFrom.Length == 0 && helo.Length == 0)
            throw new UsageException("--ip needs --mail-from, --helo or both");
        return new SmtpIdentities(ip, helo, mailFrom);
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
