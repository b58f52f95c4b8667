using System.Net;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Tests.Dns;

namespace DmarcAnalyzer.Tests.Auth.Spf;

/// <summary>
/// The openspf RFC 7208 test suite and its kin from the corpus, and the older RFC 4408 suite where RFC 7208 agrees,
/// every scenario through the real resolver (UDP/TCP, cache) against <see cref="LoopbackDnsServer"/> serving the
/// suite's zone data.
/// </summary>
public sealed class SpfSuiteTests(SpfSuiteServers servers) : IClassFixture<SpfSuiteServers>
{
    public static readonly string[] Files =
        ["pyspf__rfc7208-tests.yml", "blitiri-spf__blitirispf-tests.yml", "pyspf__test.yml", "pyspf__rfc4408-tests.yml"];

    /// <summary>
    /// Scenarios of other implementations' suites that contradict RFC 7208, and RFC 4408 scenarios whose expected
    /// results RFC 7208 changed (its suite tests the RFC 7208 answer under the same name), with the reason.
    /// </summary>
    private static readonly Dictionary<string, string> Departures = new()
    {
        ["blitiri-spf__blitirispf-tests.yml:one-mx-not-found"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:all-mx-not-found"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:include-not-found"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:redirect-not-found"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:resolution-with-10-lookups"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:mx-resolution-10-terms"] = SingleLabel,
        ["blitiri-spf__blitirispf-tests.yml:mx-resolution-11-terms"] = SingleLabel,
        ["pyspf__rfc4408-tests.yml:txtonly"] = TypeSpf,
        ["pyspf__rfc4408-tests.yml:spfonly"] = TypeSpf,
        ["pyspf__rfc4408-tests.yml:spftimeout"] = TypeSpf,
        ["pyspf__rfc4408-tests.yml:txttimeout"] = TypeSpf,
        ["pyspf__rfc4408-tests.yml:nospftxttimeout"] = TypeSpf,
        ["pyspf__rfc4408-tests.yml:spfoverride"] = TypeSpf,
        ["pyspf__rfc4408-tests.yml:multitxt1"] = TypeSpf,
        ["pyspf__rfc4408-tests.yml:multispf2"] = TypeSpf,
        ["pyspf__rfc4408-tests.yml:exists-dnserr"] =
            "RFC 4408 also allowed fail for a DNS error in exists; RFC 7208 §5 (a server error or timeout makes the topmost "
            + "check_host() return temperror) settles it as temperror",
        ["pyspf__rfc4408-tests.yml:cidr6-0-ip4"] = MappedIp4,
        ["pyspf__rfc4408-tests.yml:cidr6-ip4"] = MappedIp4,
        ["pyspf__rfc4408-tests.yml:mx-limit"] =
            "RFC 4408 §10.1 left more than 10 MX names open (neutral, pass or permerror); RFC 7208 §4.6.4 makes the mx "
            + "mechanism produce permerror",
    };

    private const string SingleLabel =
        "uses single-label domains (d00, mx10), which RFC 7208 §4.3 answers with none and §7.1's toplabel rule refuses";

    private const string TypeSpf =
        "RFC 4408 §4.4-4.5 let a checker use type SPF (99) records, which override TXT, so it allowed both answers; RFC 7208 "
        + "§3.1 and §14.1 (Appendix B) look up TXT only, and its suite keeps just the TXT answer";

    private const string MappedIp4 =
        "RFC 4408 allowed an IPv4 client to match ip6:::1.1.1.1/0; RFC 7208 §5 has the client's address compared as "
        + "IPv4, which that IPv6 network does not contain, and its suite keeps only neutral";

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
        var suite = servers.Suite(file, SpfSuite.Load);
        var scenario = suite.Scenarios.Single(s => $"{s.Document}/{s.Name}" == id);
        if ((scenario.Departure ?? Departures.GetValueOrDefault($"{file}:{scenario.Name}")) is { } departure)
            Assert.Skip(departure);
        var evaluator = new SpfEvaluator(servers.Resolver(file, scenario.Document, suite.Zones[scenario.Document]));

        var result = await evaluator.CheckMailFromAsync(IPAddress.Parse(scenario.Host), scenario.MailFrom, scenario.Helo,
            TestContext.Current.CancellationToken);

        Assert.True(scenario.Results.Contains(result.Code.Word()),
            $"{scenario.Name}: got {result.Code.Word()} ({result.Reason ?? result.Mechanism}), expected {string.Join(" or ", scenario.Results)}");
        // The suite writes %{i} nibbles of IPv6 in upper case where RFC 7208's own example has lower case.
        if (scenario.Explanation is { } expected && expected != "DEFAULT" && result.Code == SpfResultCode.Fail)
            Assert.Equal(expected, result.Explanation, ignoreCase: true);
    }
}
