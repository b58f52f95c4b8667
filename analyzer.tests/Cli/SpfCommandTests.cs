using System.CommandLine;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Tests.Dns;

namespace DmarcAnalyzer.Tests.Cli;

/// <summary><c>dmarc verify spf</c> and <c>dmarc check spf</c>, parsed and run as the program does, output captured.</summary>
public sealed class SpfCommandTests : IDisposable
{
    private readonly string _zone = Path.Combine(Path.GetTempPath(), $"spf-{Guid.NewGuid():N}.zone");

    public SpfCommandTests() =>
        File.WriteAllText(_zone, """
            $ORIGIN example.com.
            @        TXT "v=spf1 ip4:192.0.2.0/24 -all exp=why.example.com"
            why      TXT "%{i} may not send for %{d}"
            broken   TXT "v=spf1 include:nowhere.example.com -all"
            """);

    public void Dispose() => File.Delete(_zone);

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand { VerifyCommand.Create(), CheckCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error },
            TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task VerifyPrintsTheResultWordFirstThenTheExplanationAndLookups()
    {
        var (exit, output, _) = await RunAsync("verify", "spf", "--ip", "198.51.100.7", "--mail-from", "joe@example.com",
            "--helo", "mx.example.org", "--zone", _zone, "--offline");

        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("fail", lines[0]);
        Assert.Equal("explanation: 198.51.100.7 may not send for example.com", lines[1]);
        Assert.StartsWith("lookups: 0", lines[2]);
    }

    [Fact]
    public async Task VerifyAsksTheDnsServerGiven()
    {
        await using var server = new LoopbackDnsServer(new TestZone().Txt("example.net", "v=spf1 a:mail.example.net -all").A("mail.example.net", "192.0.2.33"));

        var (_, output, _) = await RunAsync("verify", "spf", "--ip", "192.0.2.33", "--mail-from", "joe@example.net",
            "--dns", server.EndPoint.ToString());

        Assert.Equal("pass", output.Split('\n')[0]);
        Assert.Contains("lookups: 1 of 10", output);
    }

    [Fact]
    public async Task VerifyRefusesABadAddressAsUsage()
    {
        var (exit, _, error) = await RunAsync("verify", "spf", "--ip", "not-an-ip", "--helo", "x.example", "--offline");

        Assert.Equal(2, exit);
        Assert.Contains("not an IP address", error);
    }

    [Fact]
    public async Task CheckExits0WhenTheRecordHoldsAnd1WhenNot()
    {
        var good = await RunAsync("check", "spf", "example.com", "--zone", _zone, "--offline");
        var bad = await RunAsync("check", "spf", "broken.example.com", "--zone", _zone, "--offline");

        Assert.Equal(0, good.Exit);
        Assert.Contains("DNS-querying terms: 0 of 10", good.Output);
        Assert.Equal(1, bad.Exit);
        Assert.Contains("error: include:nowhere.example.com", bad.Output);
    }

    [Fact]
    public async Task CheckTellsAMissingDomainANameWithoutTxtAnInvalidRecordAndDnsTroubleApart()
    {
        var zone = new TestZone()
            .A("no-txt.example", "192.0.2.1")
            .Txt("other-txt.example", "google-site-verification=abc")
            .Txt("invalid.example", "v=spf1 frobnicate -all")
            .A("servfail.example", "192.0.2.2");
        zone["servfail.example"].ServFails = true;
        await using var server = new LoopbackDnsServer(zone);
        var dns = server.EndPoint.ToString();

        var missing = await RunAsync("check", "spf", "gmail.example", "--dns", dns);
        var noTxt = await RunAsync("check", "spf", "no-txt.example", "--dns", dns);
        var otherTxt = await RunAsync("check", "spf", "other-txt.example", "--dns", dns);
        var invalid = await RunAsync("check", "spf", "invalid.example", "--dns", dns);
        var trouble = await RunAsync("check", "spf", "servfail.example", "--dns", dns);

        Assert.Equal((1, true), (missing.Exit, missing.Output.Contains("gmail.example: no SPF record: the domain does not exist (NXDOMAIN)")));
        Assert.Equal((1, true), (noTxt.Exit, noTxt.Output.Contains("no-txt.example: no SPF record: the domain exists but has no TXT records")));
        Assert.Equal((1, true), (otherTxt.Exit, otherTxt.Output.Contains("none of its 1 TXT record is an SPF record (v=spf1)")));
        Assert.Equal((1, true), (invalid.Exit, invalid.Output.Contains("invalid.example: invalid record:")));
        Assert.Equal((4, true), (trouble.Exit, trouble.Output.Contains("the DNS could not answer for servfail.example")));
    }

    [Fact]
    public async Task CheckDmarcGivesDnsTroubleItsOwnExitCode()
    {
        var zone = new TestZone().Txt("_dmarc.example.org", "v=DMARC1; p=none");
        zone["_dmarc.servfail.example"].ServFails = true;
        await using var server = new LoopbackDnsServer(zone);

        var trouble = await RunAsync("check", "dmarc", "servfail.example", "--dns", server.EndPoint.ToString());

        Assert.Equal(4, trouble.Exit);
        Assert.Contains("_dmarc.servfail.example: DNS failure", trouble.Output);
    }
}
