using System.CommandLine;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Tests.Auth.Dkim;

namespace DmarcAnalyzer.Tests.Auth;

public sealed class MessageAuthenticatorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dmarc-verify-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static FakeDnsResolver Zone()
    {
        using var key = DkimTestMessages.Key(DkimSignature.Ed25519Sha256);
        return new FakeDnsResolver()
            .Txt("sel._domainkey.football.example.com", key.PublicKeyRecord())
            .Txt("_dmarc.football.example.com", "v=DMARC1; p=reject")
            .A("football.example.com");
    }

    [Fact]
    public async Task SignedMessagePassesDkimAndDmarc()
    {
        var signed = await DkimTestMessages.SignAsync(DkimTestMessages.Message, DkimSignature.Ed25519Sha256);
        var result = await new MessageAuthenticator(Zone()).AuthenticateAsync(DkimTestMessages.Stream(signed),
            new SpfOutcome("none", "", Comment: "not checked"), CancellationToken.None);
        Assert.Equal(DkimResult.Pass, Assert.Single(result.Dkim).Result);
        Assert.Equal((DmarcResult.Pass, "football.example.com"), (result.Dmarc.Result, result.Dmarc.FromDomain));
        var header = result.AuthenticationResults("mx.test");
        Assert.StartsWith("mx.test;\r\n\tspf=none (not checked);\r\n\tdkim=pass header.d=football.example.com header.s=sel header.b=", header);
        Assert.EndsWith("dmarc=pass (p=reject dis=none) header.from=football.example.com policy.dmarc=reject", header);
    }

    [Fact]
    public async Task TamperedMessageFailsDmarcWithReject()
    {
        var signed = await DkimTestMessages.SignAsync(DkimTestMessages.Message, DkimSignature.Ed25519Sha256);
        var result = await new MessageAuthenticator(Zone()).AuthenticateAsync(DkimTestMessages.Stream(signed.Replace("Joe.", "Bob.")),
            new SpfOutcome("fail", "football.example.com"), CancellationToken.None);
        Assert.Equal((DmarcResult.Fail, "reject"), (result.Dmarc.Result, result.Dmarc.Disposition));
    }

    [Fact]
    public async Task VerifyMessageCommandPrintsTheField()
    {
        var signed = await DkimTestMessages.SignAsync(DkimTestMessages.Message, DkimSignature.RsaSha256);
        var message = Path.Combine(_folder, "m.eml");
        await File.WriteAllTextAsync(message, signed, TestContext.Current.CancellationToken);
        var config = Path.Combine(_folder, "dmarc.json");
        await File.WriteAllTextAsync(config, """{ "Auth": { "AuthservId": "mx.example.net" } }""", TestContext.Current.CancellationToken);
        var dns = DkimTestMessages.KeyDns(DkimSignature.RsaSha256).Txt("_dmarc.football.example.com", "v=DMARC1; p=quarantine");
        DnsChoice? asked = null;
        var services = new AuthCommandServices(choice => { asked = choice; return dns; },
            (query, _, _) => Task.FromResult(new SpfOutcome("pass", "football.example.com", Identity: query.MailFrom)));

        var (code, output) = await RunAsync(VerifyMessageCommand.Create(services),
            [message, "--config", config, "--ip", "192.0.2.7", "--mail-from", "joe@football.example.com", "--zone", "a.zone", "--zone", "b.zone", "--offline"]);
        Assert.Equal(0, code);
        Assert.Equal(["a.zone", "b.zone"], asked!.Zones.Select(z => z.Name));
        Assert.True(asked.Offline);
        Assert.StartsWith("Authentication-Results: mx.example.net;\n\tspf=pass smtp.mailfrom=\"joe@football.example.com\";\n\tdkim=pass", output);
        Assert.Contains("dmarc=pass (p=quarantine dis=none) header.from=football.example.com", output);

        var (_, noIp) = await RunAsync(VerifyMessageCommand.Create(services), [message, "--config", config]);
        Assert.Contains("spf=none (not checked: no --ip given);", noIp);
    }

    [Fact]
    public async Task CheckDmarcCommandReportsFindingsAndExitCode()
    {
        var dns = new FakeDnsResolver().Txt("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:r@reports.example.net");
        var services = new AuthCommandServices(_ => dns, (_, _, _) => throw new InvalidOperationException("no SPF here"));
        var config = Path.Combine(_folder, "dmarc.json");
        await File.WriteAllTextAsync(config, """{ "Dmarc": { "PublicSuffixList": "/nonexistent/psl.dat" } }""", TestContext.Current.CancellationToken);
        var (code, output) = await RunAsync(CheckDmarcCommand.Create(services), ["example.com", "--config", config]);
        Assert.Equal(1, code);
        Assert.Contains("_dmarc.example.com: v=DMARC1; p=none", output);
        Assert.Contains("error: rua: external destination reports.example.net has not authorised reports for example.com", output);
        Assert.Contains("info: Public Suffix List comparison skipped: Public Suffix List not found at /nonexistent/psl.dat", output);
    }

    private static async Task<(int Code, string Output)> RunAsync(Command command, string[] args)
    {
        var output = new StringWriter();
        var parsed = command.Parse(args);
        Assert.Empty(parsed.Errors);
        var code = await parsed.InvokeAsync(new InvocationConfiguration { Output = output });
        return (code, output.ToString());
    }
}
