using System.Diagnostics;
using System.Net;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;

// SPF evaluations per second from a warm cache, and bytes allocated per check_host() call.
// The cache is filled from the zone below before timing; the transport points at a closed port, so a
// cache miss would show up as a temperror and stop the run.

const string Zone = """
    $ORIGIN example.com.
    @        TXT "v=spf1 ip4:192.0.2.0/25 ip6:2001:db8:10::/48 a mx include:_spf1.example.net include:_spf2.example.org include:_spf3.example.com ~all"
    @        A 192.0.2.200
    @        MX 10 mx1
    @        MX 20 mx2
    mx1      A 192.0.2.201
    mx2      A 192.0.2.202
    _spf1.example.net.  TXT "v=spf1 ip4:198.51.100.0/26 ip4:198.51.100.128/26 ip6:2001:db8:20::/48 ~all"
    _spf2.example.org.  TXT "v=spf1 ip4:203.0.113.0/27 a:relay.example.org ~all"
    relay.example.org.  A 203.0.113.77
    _spf3    TXT "v=spf1 ip4:233.252.0.0/28 ip4:233.252.0.64/28 ip4:233.252.0.128/28 -all"
    """;

var records = ZoneFile.Parse(Zone);
var cache = new DnsCache(10_000, TimeProvider.System);
foreach (var group in records.GroupBy(r => (r.Name, r.Type)))
    cache.Add(group.Key.Name, group.Key.Type, new DnsAnswer(DnsOutcome.Found, group.ToList(), 86400));
var closed = new DnsTransport([new IPEndPoint(IPAddress.Loopback, 9)], TimeSpan.FromMilliseconds(200), 0);
var evaluator = new SpfEvaluator(new DnsResolver(LocalZone.Empty, cache, closed));
var client = IPAddress.Parse("233.252.0.130"); // matches the last term of the third include: the whole tree is walked

var check = await evaluator.CheckMailFromAsync(client, "bounce@example.com", "mail.example.net", CancellationToken.None);
if (check.Code != SpfResultCode.Pass)
    throw new InvalidOperationException($"expected pass, got {check.Code.Word()}: {check.Reason}");

var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
await RunAsync(TimeSpan.FromSeconds(1)); // warm-up: JIT tiers, caches
var (perSecond, bytesPerCall) = await RunAsync(TimeSpan.FromSeconds(seconds));
Console.WriteLine($"lookups per evaluation: {check.DnsLookups} (terms: 12 in 4 records)");
Console.WriteLine($"evaluations/s (one thread): {perSecond:N0}");
Console.WriteLine($"bytes allocated per check_host(): {bytesPerCall:N0}");

async Task<(double PerSecond, double BytesPerCall)> RunAsync(TimeSpan duration)
{
    var calls = 0L;
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < duration)
    {
        for (var i = 0; i < 1000; i++)
        {
            var result = await evaluator.CheckMailFromAsync(client, "bounce@example.com", "mail.example.net", CancellationToken.None);
            if (result.Code != SpfResultCode.Pass)
                throw new InvalidOperationException($"cache miss or error: {result.Reason}");
        }
        calls += 1000;
    }
    var elapsed = clock.Elapsed.TotalSeconds;
    var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
    return (calls / elapsed, (double)allocated / calls);
}
