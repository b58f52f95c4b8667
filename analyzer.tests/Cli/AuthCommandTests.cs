using System.CommandLine;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Tests.Auth.Dkim;

namespace DmarcAnalyzer.Tests.Cli;

/// <summary><c>dmarc verify message</c> and <c>dmarc check dmarc</c> through the command tree, DNS from a zone file.</summary>
public sealed class AuthCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dmarc-verify-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> WriteAsync(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        await File.WriteAllTextAsync(path, text, Ct);
        return path;
    }

    private async Task<string> ZoneAsync()
    {
        using var key = DkimTestMessages.Key(DkimSignature.Ed25519Sha256);
        return await WriteAsync("test.zone", $"""
            $ORIGIN football.example.com.
            @                TXT "v=spf1 ip4:192.0.2.0/24 -all"
            _dmarc           TXT "v=DMARC1; p=quarantine"
            sel._domainkey   TXT "{key.PublicKeyRecord()}"
            """);
    }

    [Fact]
    public async Task VerifyMessagePrintsTheFieldWithSpfFromTheZone()
    {
        var signed = await DkimTestMessages.SignAsync(DkimTestMessages.Message, DkimSignature.Ed25519Sha256);
        var message = await WriteAsync("m.eml", signed);
        var config = await WriteAsync("dmarc.json", """{ "Auth": { "AuthservId": "mx.example.net" } }""");
        var zone = await ZoneAsync();

        var (code, output) = await RunAsync("verify", "message", message, "--config", config, "--ip", "192.0.2.7",
            "--mail-from", "joe@football.example.com", "--zone", zone, "--offline");
        Assert.Equal(0, code);
        Assert.StartsWith("Authentication-Results: mx.example.net;\n\tspf=pass (192.0.2.7 matched ip4:192.0.2.0/24) smtp.mailfrom=\"joe@football.example.com\";\n\tdkim=pass", output);
        Assert.Contains("dmarc=pass (p=quarantine dis=none) header.from=football.example.com", output);

        var (_, noIp) = await RunAsync("verify", "message", message, "--config", config, "--zone", zone, "--offline");
        Assert.Contains("spf=none (not checked: no --ip given);", noIp);

        var (_, outside) = await RunAsync("verify", "message", message, "--config", config, "--zone", zone, "--offline",
            "--ip", "198.51.100.1", "--mail-from", "joe@football.example.com");
        Assert.Contains("spf=fail", outside);
        Assert.Contains("dmarc=pass", outside);
    }

    [Fact]
    public async Task CheckDmarcReportsFindingsAndExitCode()
    {
        var zone = await WriteAsync("example.zone", """
            $ORIGIN example.com.
            _dmarc TXT "v=DMARC1; p=none; rua=mailto:r@reports.example.net"
            """);
        var config = await WriteAsync("dmarc.json", """{ "Dmarc": { "PublicSuffixList": "/nonexistent/psl.dat" } }""");
        var (code, output) = await RunAsync("check", "dmarc", "example.com", "--config", config, "--zone", zone, "--offline");
        Assert.Equal(1, code);
        Assert.Contains("_dmarc.example.com: v=DMARC1; p=none", output);
        Assert.Contains("error: rua: external destination reports.example.net has not authorised reports for example.com", output);
        Assert.Contains("info: Public Suffix List comparison skipped: Public Suffix List not found at /nonexistent/psl.dat", output);
    }

    [Theory]
    // RFC 9989 §3.2.13: only NXDOMAIN makes a subdomain non-existent (np=); one with only a TXT record exists (sp=).
    [InlineData("joe@nowhere.example.org", "dmarc=fail (p=quarantine dis=quarantine)", "policy.dmarc=quarantine")]
    [InlineData("joe@txt-only.example.org", "dmarc=fail (p=none dis=none)", "policy.dmarc=none")]
    // §4.10.1: an invalid p= with no valid rua= means no DMARC processing; with one it is read as p=none.
    [InlineData("joe@bogus.example", "dmarc=none", "the record at _dmarc.bogus.example has p=bogus and no valid rua=")]
    [InlineData("joe@bogus-rua.example", "dmarc=fail (p=none dis=none)", "policy.dmarc=none")]
    public async Task VerifyMessageAppliesRFC9989ToNonExistentDomainsAndInvalidPolicies(string from, string result, string detail)
    {
        var zone = await WriteAsync("rfc9989.zone", """
            $ORIGIN example.org.
            @                TXT "v=spf1 -all"
            _dmarc           TXT "v=DMARC1; p=reject; sp=none; np=quarantine"
            txt-only         TXT "v=spf1 -all"
            $ORIGIN example.
            _dmarc.bogus     TXT "v=DMARC1; p=bogus"
            bogus            TXT "v=spf1 -all"
            _dmarc.bogus-rua TXT "v=DMARC1; p=bogus; rua=mailto:agg@bogus-rua.example"
            bogus-rua        TXT "v=spf1 -all"
            """);
        var message = await WriteAsync("m.eml", $"From: {from}\r\nTo: a@example.net\r\nSubject: hi\r\n\r\nbody\r\n");
        var config = await WriteAsync("dmarc.json", """{ "Auth": { "AuthservId": "mx.example.net" } }""");

        var (_, output) = await RunAsync("verify", "message", message, "--config", config, "--zone", zone, "--offline",
            "--ip", "192.0.2.7", "--mail-from", from);
        Assert.Contains(result, output);
        Assert.Contains(detail, output);
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var root = new RootCommand { VerifyCommand.Create(), CheckCommand.Create() };
        var output = new StringWriter();
        var parsed = root.Parse(args);
        Assert.Empty(parsed.Errors);
        var code = await parsed.InvokeAsync(new InvocationConfiguration { Output = output }, Ct);
        return (code, output.ToString());
    }
}
