using System.Net;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Tests.Dns;

namespace DmarcAnalyzer.Tests.Auth.Spf;

/// <summary>What the RFC 7208 suite leaves open: identities, IPv4-mapped clients, concurrency, the counts reported.</summary>
public sealed class SpfEvaluatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SpfEvaluator Evaluator(string zone) =>
        new(new DnsResolver(new LocalZone(ZoneFile.Parse(zone, "example.com")), new DnsCache(100, TimeProvider.System), null));

    private const string Zone = """
        @      TXT "v=spf1 ip4:192.0.2.0/24 a:mail.example.com -all"
        mail   A 198.51.100.1
        helo   TXT "v=spf1 a -all"
        helo   A 203.0.113.5
        """;

    [Fact]
    public async Task Ipv4_mapped_ipv6_client_is_checked_as_ipv4()
    {
        var result = await Evaluator(Zone).CheckMailFromAsync(IPAddress.Parse("::ffff:192.0.2.9"), "a@example.com", "x.example", Ct);

        Assert.Equal(SpfResultCode.Pass, result.Code);
        Assert.Equal("ip4:192.0.2.0/24", result.Mechanism);
    }

    [Theory]
    [InlineData("192.0.2.77", "v=spf1 ip6:::ffff:192.0.2.0/120 -all", "pass")]
    [InlineData("192.0.3.77", "v=spf1 ip6:::ffff:192.0.2.0/120 -all", "fail")]
    [InlineData("::ffff:192.0.2.77", "v=spf1 ip6:::ffff:192.0.2.77 -all", "pass")]
    [InlineData("2001:db8::1", "v=spf1 ip4:192.0.2.0/24 -all", "fail")]
    public async Task Ipv4_mapped_networks_name_ipv4_clients(string client, string record, string expected)
    {
        var result = await Evaluator($"mapped TXT \"{record}\"\n").CheckMailFromAsync(IPAddress.Parse(client), "a@mapped.example.com", "x.example", Ct);

        Assert.Equal(expected, result.Code.Word());
    }

    [Fact]
    public async Task Empty_mail_from_checks_the_helo_identity()
    {
        var evaluator = Evaluator(Zone);

        var viaMailFrom = await evaluator.CheckMailFromAsync(IPAddress.Parse("203.0.113.5"), "", "helo.example.com", Ct);
        var viaHelo = await evaluator.CheckHeloAsync(IPAddress.Parse("203.0.113.6"), "helo.example.com", Ct);

        Assert.Equal(SpfResultCode.Pass, viaMailFrom.Code);
        Assert.Equal(SpfResultCode.Fail, viaHelo.Code);
    }

    [Fact]
    public async Task Reports_the_lookups_it_used()
    {
        var result = await Evaluator(Zone).CheckMailFromAsync(IPAddress.Parse("198.51.100.1"), "a@example.com", "x.example", Ct);

        Assert.Equal(SpfResultCode.Pass, result.Code);
        Assert.Equal(1, result.DnsLookups);
        Assert.Equal(0, result.VoidLookups);
    }

    [Fact]
    public async Task One_evaluator_serves_concurrent_checks()
    {
        var evaluator = Evaluator(Zone);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            evaluator.CheckMailFromAsync(IPAddress.Parse(i % 2 == 0 ? "192.0.2.1" : "10.0.0.1"), "a@example.com", "x.example", Ct)));

        for (var i = 0; i < results.Length; i++)
            Assert.Equal(i % 2 == 0 ? SpfResultCode.Pass : SpfResultCode.Fail, results[i].Code);
    }

    [Fact]
    public async Task An_evaluation_that_runs_out_of_time_is_a_temperror()
    {
        var zone = new TestZone().Txt("slow.example", "v=spf1 a:never.example -all");
        zone["never.example"].TimesOut = true;
        await using var server = new LoopbackDnsServer(zone);
        var dns = new DnsResolver(LocalZone.Empty, new DnsCache(10, TimeProvider.System),
            new DnsTransport([server.EndPoint], TimeSpan.FromSeconds(5), 0));

        var result = await new SpfEvaluator(dns, timeLimit: TimeSpan.FromMilliseconds(300))
            .CheckMailFromAsync(IPAddress.Parse("192.0.2.1"), "a@slow.example", "x.example", Ct);

        Assert.Equal(SpfResultCode.TempError, result.Code);
        Assert.Contains("longer than", result.Reason);
    }

    [Fact]
    public async Task Factory_loads_zone_files_and_offline_mode_stays_off_the_network()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, "@ TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n", Ct);
            var options = new DnsOptions([new IPEndPoint(IPAddress.Loopback, 9)], [$"partner.example={path}"], Offline: true,
                TimeSpan.FromSeconds(1), 0);
            var dns = await DnsResolverFactory.CreateAsync(options, Ct, new DnsCache(10, TimeProvider.System));

            var partner = await new SpfEvaluator(dns).CheckMailFromAsync(IPAddress.Parse("192.0.2.8"), "a@partner.example", "x.example", Ct);
            var other = await new SpfEvaluator(dns).CheckMailFromAsync(IPAddress.Parse("192.0.2.8"), "a@other.example", "x.example", Ct);

            Assert.Equal(SpfResultCode.Pass, partner.Code);
            Assert.Equal(SpfResultCode.None, other.Code);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
