using DmarcAnalyzer.Dns;
using DnsClient;

namespace DmarcAnalyzer.Tests.Dns;

/// <summary>
/// Issue 16's evidence for keeping our wire transport (<see cref="DnsTransport"/>) rather than DnsClient 1.8.0: the
/// same questions to the same <see cref="LoopbackDnsServer"/>, each side with the same patience and retries.
/// DnsClient tells NXDOMAIN, NODATA, SERVFAIL and timeouts apart and falls back to TCP as we do, but its UDP socket
/// is not connected and the source of an answer is not compared with the server asked (RFC 5452 §9.1): a forged
/// NXDOMAIN from another port is taken for the answer. And one answer with a wrong ID ends the attempt instead of
/// being ignored, so whoever floods wrong IDs turns every lookup into a temporary error.
/// </summary>
public sealed class DnsClientComparisonTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task BothTellNxdomainNodataServfailAndTimeoutApart()
    {
        var zone = new TestZone().A("host.example", "192.0.2.1");
        zone["broken.example"].ServFails = true;
        zone["slow.example"].TimesOut = true;
        await using var server = new LoopbackDnsServer(zone);
        var quick = TimeSpan.FromMilliseconds(300);

        Assert.Equal(("Found 192.0.2.1", "Found 192.0.2.1"), await BothAsync(server, "host.example", QueryType.A));
        Assert.Equal(("NoData", "NoData"), await BothAsync(server, "host.example", QueryType.TXT));
        Assert.Equal(("NxDomain", "NxDomain"), await BothAsync(server, "missing.example", QueryType.TXT));
        Assert.Equal(("TempError", "TempError"), await BothAsync(server, "broken.example", QueryType.TXT));
        Assert.Equal(("TempError", "TempError"), await BothAsync(server, "slow.example", QueryType.A, quick));
    }

    [Fact]
    public async Task BothAskAgainOverTcpWhenTruncated()
    {
        await using var server = new LoopbackDnsServer(new TestZone().Txt("example", "v=spf1 -all")) { TruncateAllUdp = true };

        Assert.Equal(("Found v=spf1 -all", "Found v=spf1 -all"), await BothAsync(server, "example", QueryType.TXT));
        Assert.Equal(2, server.TcpQueries);
    }

    [Fact]
    public async Task AForgedAnswerFromAnotherPortFoolsDnsclientNotUs()
    {
        await using var server = new LoopbackDnsServer(new TestZone().A("host.example", "192.0.2.9")) { ForgedFromOtherPortFirst = true };

        Assert.Equal(("Found 192.0.2.9", "NxDomain"), await BothAsync(server, "host.example", QueryType.A));
    }

    [Fact]
    public async Task AWrongIdFirstIsIgnoredByUsAndFailsDnsclientOnEveryRetry()
    {
        await using var server = new LoopbackDnsServer(new TestZone().A("host.example", "192.0.2.9")) { WrongIdFirst = true };

        Assert.Equal(("Found 192.0.2.9", "TempError"), await BothAsync(server, "host.example", QueryType.A, retries: 2));
    }

    private static async Task<(string Ours, string Theirs)> BothAsync(LoopbackDnsServer server, string name, QueryType type,
        TimeSpan? timeout = null, int retries = 0) =>
        (await OursAsync(server, name, type, timeout ?? Patience, retries), await TheirsAsync(server, name, type, timeout ?? Patience, retries));

    private static async Task<string> OursAsync(LoopbackDnsServer server, string name, QueryType type, TimeSpan timeout, int retries)
    {
        var dns = new DnsResolver(LocalZone.Empty, new DnsCache(100, TimeProvider.System), new DnsTransport([server.EndPoint], timeout, retries));
        var lookup = type == QueryType.A
            ? Describe(await dns.AAsync(name, Ct))
            : Describe(await dns.TxtAsync(name, Ct));
        return lookup;
    }

    private static string Describe<T>(DnsLookup<T> lookup) =>
        lookup.Outcome == DnsOutcome.Found ? "Found " + string.Join(",", lookup.Records) : lookup.Outcome.ToString();

    private static async Task<string> TheirsAsync(LoopbackDnsServer server, string name, QueryType type, TimeSpan timeout, int retries)
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(server.EndPoint))
        {
            UseCache = false,
            Timeout = timeout,
            Retries = retries,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            ContinueOnEmptyResponse = false,
            UseTcpFallback = true,
        });
        try
        {
            var response = await client.QueryAsync(name, type, QueryClass.IN, Ct);
            return response.Header.ResponseCode switch
            {
                DnsHeaderResponseCode.NotExistentDomain => "NxDomain",
                DnsHeaderResponseCode.NoError when response.Answers.Count == 0 => "NoData",
                DnsHeaderResponseCode.NoError => "Found " + string.Join(",", type == QueryType.A
                    ? response.Answers.ARecords().Select(a => a.Address.ToString())
                    : response.Answers.TxtRecords().Select(t => string.Concat(t.Text))),
                _ => "TempError",
            };
        }
        catch (Exception e) when (e is DnsResponseException or DnsXidMismatchException or TimeoutException)
        {
            return "TempError";
        }
    }
}
