using System.Net;
using System.Net.Sockets;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Tests.Dns;

/// <summary>The stub resolver against <see cref="LoopbackDnsServer"/>: transport, outcomes, aliases, cache.</summary>
public sealed class DnsResolverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Generous, so a loaded machine never turns an answer into a timeout; tests that expect a timeout pass their own.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private static DnsResolver Resolver(LoopbackDnsServer server, DnsCache? cache = null, TimeSpan? timeout = null, int retries = 0) =>
        new(LocalZone.Empty, cache ?? new DnsCache(1000, TimeProvider.System),
            new DnsTransport([server.EndPoint], timeout ?? Patience, retries));

    [Fact]
    public async Task AnswersEveryRecordType()
    {
        var zone = new TestZone()
            .A("host.example", "192.0.2.1").A("host.example", "192.0.2.2")
            .Aaaa("host.example", "2001:db8::1")
            .Mx("example", 10, "mx1.example").Mx("example", 20, "mx2.example")
            .Ptr("1.2.0.192.in-addr.arpa", "host.example")
            .Txt("example", "v=spf1 ", "-all");
        await using var server = new LoopbackDnsServer(zone);
        var dns = Resolver(server);

        var a = await dns.AAsync("HOST.example.", Ct);
        Assert.Equal(DnsOutcome.Found, a.Outcome);
        Assert.Equal(["192.0.2.1", "192.0.2.2"], a.Records.Select(r => r.ToString()));
        Assert.Equal(IPAddress.Parse("2001:db8::1"), Assert.Single((await dns.AaaaAsync("host.example", Ct)).Records));
        Assert.Equal([new MxRecord(10, "mx1.example"), new MxRecord(20, "mx2.example")], (await dns.MxAsync("example", Ct)).Records);
        Assert.Equal("host.example", Assert.Single((await dns.PtrAsync(IPAddress.Parse("192.0.2.1"), Ct)).Records));
        // RFC 7208 §3.3: the strings of one TXT record are joined without a separator.
        Assert.Equal("v=spf1 -all", Assert.Single((await dns.TxtAsync("example", Ct)).Records));
    }

    [Fact]
    public async Task TellsNxdomainFromNodata()
    {
        await using var server = new LoopbackDnsServer(new TestZone().A("host.example", "192.0.2.1"));
        var dns = Resolver(server);

        Assert.Equal(DnsOutcome.NoData, (await dns.TxtAsync("host.example", Ct)).Outcome);
        Assert.Equal(DnsOutcome.NxDomain, (await dns.TxtAsync("missing.example", Ct)).Outcome);
    }

    [Fact]
    public async Task ServfailIsATemporaryError()
    {
        var zone = new TestZone();
        zone["broken.example"].ServFails = true;
        await using var server = new LoopbackDnsServer(zone);

        var lookup = await Resolver(server).TxtAsync("broken.example", Ct);

        Assert.Equal(DnsOutcome.TempError, lookup.Outcome);
        Assert.Contains("ServFail", lookup.Error);
    }

    [Fact]
    public async Task TimeoutIsATemporaryErrorAfterTheRetries()
    {
        var zone = new TestZone();
        zone["slow.example"].TimesOut = true;
        await using var server = new LoopbackDnsServer(zone);

        var lookup = await Resolver(server, timeout: TimeSpan.FromMilliseconds(200), retries: 1).AAsync("slow.example", Ct);

        Assert.Equal(DnsOutcome.TempError, lookup.Outcome);
        Assert.Equal(2, server.UdpQueries);
    }

    [Fact]
    public async Task ASilentServerIsPassedOverForTheNext()
    {
        var silent = new TestZone();
        silent["host.example"].TimesOut = true;
        await using var first = new LoopbackDnsServer(silent);
        await using var second = new LoopbackDnsServer(new TestZone().A("host.example", "192.0.2.7"));
        var dns = new DnsResolver(LocalZone.Empty, new DnsCache(100, TimeProvider.System),
            new DnsTransport([first.EndPoint, second.EndPoint], TimeSpan.FromSeconds(1), 0));

        var lookup = await dns.AAsync("host.example", Ct);

        Assert.Equal("192.0.2.7", Assert.Single(lookup.Records).ToString());
    }

    [Fact]
    public async Task TruncatedAnswerIsAskedAgainOverTcp()
    {
        await using var server = new LoopbackDnsServer(new TestZone().Txt("example", "v=spf1 -all")) { TruncateAllUdp = true };

        var lookup = await Resolver(server).TxtAsync("example", Ct);

        Assert.Equal("v=spf1 -all", Assert.Single(lookup.Records));
        Assert.Equal(1, server.UdpQueries);
        Assert.Equal(1, server.TcpQueries);
    }

    [Fact]
    public async Task Edns0BringsLargeAnswersOverUdpAndLargerOnesOverTcp()
    {
        var zone = new TestZone();
        for (var i = 0; i < 8; i++)
            zone.Txt("big.example", new string((char)('a' + i), 200));
        for (var i = 0; i < 20; i++)
            zone.Txt("huge.example", new string((char)('a' + i), 250));
        await using var server = new LoopbackDnsServer(zone);
        var dns = Resolver(server);

        Assert.Equal(8, (await dns.TxtAsync("big.example", Ct)).Records.Count);
        Assert.Equal(0, server.TcpQueries);
        Assert.Equal([DnsQuery.UdpPayloadSize], server.AdvertisedSizes);

        Assert.Equal(20, (await dns.TxtAsync("huge.example", Ct)).Records.Count);
        Assert.Equal(1, server.TcpQueries);
    }

    [Fact]
    public async Task AnswerWithTheWrongIdIsIgnored()
    {
        await using var server = new LoopbackDnsServer(new TestZone().A("host.example", "192.0.2.9")) { WrongIdFirst = true };

        var lookup = await Resolver(server).AAsync("host.example", Ct);

        Assert.Equal("192.0.2.9", Assert.Single(lookup.Records).ToString());
        Assert.Equal(1, server.UdpQueries);
    }

    [Fact]
    public async Task CnameChainsAreFollowedAndLoopsAreBounded()
    {
        var zone = new TestZone()
            .Cname("www.example", "web.example").Cname("web.example", "host.example").A("host.example", "192.0.2.3")
            .Cname("loop1.example", "loop2.example").Cname("loop2.example", "loop1.example");
        for (var i = 0; i < 12; i++)
            zone.Cname($"c{i}.example", $"c{i + 1}.example");
        zone.A("c12.example", "192.0.2.4");
        await using var server = new LoopbackDnsServer(zone);
        var dns = Resolver(server);

        Assert.Equal("192.0.2.3", Assert.Single((await dns.AAsync("www.example", Ct)).Records).ToString());
        Assert.Equal(DnsOutcome.TempError, (await dns.AAsync("loop1.example", Ct)).Outcome);
        Assert.Equal(DnsOutcome.TempError, (await dns.AAsync("c0.example", Ct)).Outcome);
        Assert.Equal(DnsOutcome.NoData, (await dns.TxtAsync("www.example", Ct)).Outcome);
    }

    [Fact]
    public async Task AZoneRecordForANameTheNetworkChainPassesThroughWinsEvenFromTheCache()
    {
        var network = new TestZone().Cname("partner.example", "spf.provider.example").Txt("spf.provider.example", "v=spf1 ip4:198.51.100.1 -all");
        await using var server = new LoopbackDnsServer(network);
        var dns = Resolver(server);
        Assert.Equal(["v=spf1 ip4:198.51.100.1 -all"], (await dns.TxtAsync("partner.example", Ct)).Records);

        // As a SIGHUP does: the cached network answer must not hide the zone's record for the alias target.
        dns.Zone = new LocalZone(ZoneFile.Parse("spf.provider.example. 3600 IN TXT \"v=spf1 ip4:192.0.2.7 -all\"\n"));
        Assert.Equal(["v=spf1 ip4:192.0.2.7 -all"], (await dns.TxtAsync("partner.example", Ct)).Records);
        Assert.Equal(1, server.UdpQueries);
    }

    [Fact]
    public async Task CacheAnswersUntilTheTtlRunsOutNegativeAnswersToo()
    {
        await using var server = new LoopbackDnsServer(new TestZone().A("host.example", "192.0.2.1", ttl: 300));
        var clock = new ManualClock();
        var dns = Resolver(server, new DnsCache(100, clock));

        await dns.AAsync("host.example", Ct);
        await dns.AAsync("host.example", Ct);
        await dns.TxtAsync("missing.example", Ct);
        await dns.TxtAsync("missing.example", Ct);
        Assert.Equal(2, server.UdpQueries);

        // The negative answer lives min(SOA TTL, MINIMUM) = 60 s (RFC 2308 §5), the A record 300 s.
        clock.Advance(TimeSpan.FromSeconds(61));
        await dns.AAsync("host.example", Ct);
        await dns.TxtAsync("missing.example", Ct);
        Assert.Equal(3, server.UdpQueries);

        clock.Advance(TimeSpan.FromSeconds(240));
        await dns.AAsync("host.example", Ct);
        Assert.Equal(4, server.UdpQueries);
    }

    [Fact]
    public async Task TemporaryErrorsAreNotCached()
    {
        var zone = new TestZone();
        zone["broken.example"].ServFails = true;
        await using var server = new LoopbackDnsServer(zone);
        var dns = Resolver(server);

        await dns.AAsync("broken.example", Ct);
        await dns.AAsync("broken.example", Ct);

        Assert.Equal(2, server.UdpQueries);
    }

    [Fact]
    public void CacheStaysWithinItsCapacity()
    {
        var cache = new DnsCache(50, new ManualClock());
        for (var i = 0; i < 1000; i++)
            cache.Add($"n{i}.example", DnsType.A, new DnsAnswer(DnsOutcome.Found, [], 300));

        Assert.InRange(cache.Count, 1, 50);
    }

    [Fact]
    public async Task ConcurrentCallersShareTheCacheSafely()
    {
        var zone = new TestZone();
        for (var i = 0; i < 20; i++)
            zone.A($"h{i}.example", $"192.0.2.{i + 1}");
        await using var server = new LoopbackDnsServer(zone);
        var dns = Resolver(server);

        var lookups = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => dns.AAsync($"h{i % 20}.example", Ct)));

        for (var i = 0; i < lookups.Length; i++)
            Assert.Equal($"192.0.2.{i % 20 + 1}", Assert.Single(lookups[i].Records).ToString());
        Assert.Equal(20, server.UdpQueries); // callers asking the same question share one query
    }

    [Fact]
    public async Task LocalZoneAnswersBeforeTheNetworkAndOfflineModeNeverAsksIt()
    {
        await using var server = new LoopbackDnsServer(new TestZone().Txt("partner.example", "from the network").A("other.example", "192.0.2.5"));
        var local = new LocalZone(ZoneFile.Parse("partner.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"));
        var online = new DnsResolver(local, new DnsCache(100, TimeProvider.System), new DnsTransport([server.EndPoint], Patience, 0));
        var offline = new DnsResolver(local, new DnsCache(100, TimeProvider.System), null);

        Assert.Equal("v=spf1 ip4:192.0.2.0/24 -all", Assert.Single((await online.TxtAsync("partner.example", Ct)).Records));
        Assert.Equal(DnsOutcome.NoData, (await online.AAsync("partner.example", Ct)).Outcome);
        Assert.Equal(DnsOutcome.Found, (await online.AAsync("other.example", Ct)).Outcome);
        Assert.Equal(1, server.UdpQueries);

        Assert.Equal(DnsOutcome.NxDomain, (await offline.AAsync("other.example", Ct)).Outcome);
        Assert.Equal(1, server.UdpQueries);
    }

    [Fact]
    public async Task NoServerListeningIsATemporaryError()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var endPoint = (IPEndPoint)socket.LocalEndPoint!;
        socket.Dispose(); // the port is now closed: ICMP port unreachable, or silence
        var dns = new DnsResolver(LocalZone.Empty, new DnsCache(10, TimeProvider.System),
            new DnsTransport([endPoint], TimeSpan.FromMilliseconds(300), 0));

        Assert.Equal(DnsOutcome.TempError, (await dns.AAsync("host.example", Ct)).Outcome);
    }
}
