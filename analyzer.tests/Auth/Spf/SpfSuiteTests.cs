using System.Collections.Concurrent;
using System.Net;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Tests.Dns;

namespace DmarcAnalyzer.Tests.Auth.Spf;

/// <summary>
/// The openspf RFC 7208 test suite and its kin from the corpus, every scenario through the real resolver
/// (UDP/TCP, cache) against <see cref="LoopbackDnsServer"/> serving the suite's zone data.
/// </summary>
public sealed class SpfSuiteTests(SpfSuiteTests.Servers servers) : IClassFixture<SpfSuiteTests.Servers>
{
    public static readonly string[] Files = ["pyspf__rfc7208-tests.yml", "blitiri-spf__blitirispf-tests.yml", "pyspf__test.yml"];

    /// <summary>Scenarios of other implementations' suites that contradict RFC 7208, with the reason.</summary>
    private static readonly Dictionary<string, string> Departures = new()
    {
        ["blitiri-spf__blitirispf-tests.yml:one-mx-not-found"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:all-mx-not-found"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:include-not-found"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:redirect-not-found"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:resolution-with-10-lookups"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:mx-resolution-10-terms"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:mx-resolution-11-terms"] = SingleLabel,
    };

    private const string SingleLabel =
        "uses single-label domains (d00, mx10), which RFC 7208 §4.3 answers with none and §7.1's toplabel rule refuses";

    /// <summary>One loopback server and resolver per suite document, started on first use.</summary>
    public sealed class Servers : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<string, SpfSuite> _suites = new();
        private readonly ConcurrentDictionary<(string, int), (LoopbackDnsServer Server, DnsResolver Resolver)> _running = new();

        internal SpfSuite Suite(string file) => _suites.GetOrAdd(file, f => SpfSuite.Load(Corpus.Require("spf", f)));

        internal DnsResolver Resolver(string file, int document) => _running.GetOrAdd((file, document), key =>
        {
            var server = new LoopbackDnsServer(Suite(file).Zones[document]);
            // The suite's TIMEOUT names cost one timeout each; a second is ample for a loopback answer on a busy machine.
            var transport = new DnsTransport([server.EndPoint], TimeSpan.FromSeconds(1), retries: 0);
            return (server, new DnsResolver(LocalZone.Empty, new DnsCache(10_000, TimeProvider.System), transport));
        }).Resolver;

        public async ValueTask DisposeAsync()
        {
            foreach (var (server, _) in _running.Values)
                await server.DisposeAsync();
        }
    }

    public static TheoryData<string, string> Scenarios()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in Files)
        {
            var path = Path.Combine(Corpus.Root, "spf", file);
            if (!File.Exists(path))
            {
                data.Add(file, "(corpus absent)");
                continue;
            }
            foreach (var scenario in SpfSuite.Load(path).Scenarios)
                data.Add(file, $"{scenario.Document}/{scenario.Name}");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Scenario_gives_an_allowed_result(string file, string id)
    {
        var suite = servers.Suite(file);
        var scenario = suite.Scenarios.Single(s => $"{s.Document}/{s.Name}" == id);
        if ((scenario.Departure ?? Departures.GetValueOrDefault($"{file}:{scenario.Name}")) is { } departure)
            Assert.Skip(departure);
        var evaluator = new SpfEvaluator(servers.Resolver(file, scenario.Document));

        var result = await evaluator.CheckMailFromAsync(IPAddress.Parse(scenario.Host), scenario.MailFrom, scenario.Helo,
            TestContext.Current.CancellationToken);

        Assert.True(scenario.Results.Contains(result.Word),
            $"{scenario.Name}: got {result.Word} ({result.Reason ?? result.Mechanism}), expected {string.Join(" or ", scenario.Results)}");
        // The suite writes %{i} nibbles of IPv6 in upper case where RFC 7208's own example has lower case.
        if (scenario.Explanation is { } expected && expected != "DEFAULT" && result.Code == SpfResultCode.Fail)
            Assert.Equal(expected, result.Explanation, ignoreCase: true);
    }
}
