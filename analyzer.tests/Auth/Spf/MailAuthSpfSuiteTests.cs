using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Tests.Dns;

namespace DmarcAnalyzer.Tests.Auth.Spf;

/// <summary>
/// stalwartlabs/mail-auth's SPF tests from the corpus (spf/mail-auth/*.yml), every test through the real resolver
/// (UDP/TCP, cache) against <see cref="LoopbackDnsServer"/> serving the records the file has set by then.
/// </summary>
public sealed class MailAuthSpfSuiteTests(SpfSuiteServers servers) : IClassFixture<SpfSuiteServers>
{
    private const string Folder = "mail-auth";

    /// <summary>mail-auth's expectations that contradict RFC 7208, by file and test, with the reason.</summary>
    private static readonly Dictionary<string, string> Departures = new()
    {
        ["all.yml:All test#1"] =
            "'ip:10.0.0.1' after -all is neither a mechanism nor a modifier: RFC 7208 §4.6 makes any syntax error anywhere "
            + "in the record permerror before evaluation, and §5.1's 'mechanisms after all will never be tested' does not "
            + "excuse it (mail-auth expects fail)",
        ["basic.yml:DNS Lookup Limits#1"] =
            "ten a: terms naming domains that do not exist are ten void lookups: we follow RFC 7208 §4.6.4's SHOULD, two "
            + "void lookups at most and permerror past them; mail-auth has no such limit and expects softfail",
        ["basic.yml:DNS Lookup Limits#6"] =
            "mx.test.org has 11 MX names: RFC 7208 §4.6.4 makes the mx mechanism permerror past 10 names, which we apply "
            + "to the whole MX set, as pyspf and the RFC 7208 suite's mx-limit do, so the result does not hang on the "
            + "order of the set; mail-auth stops at the match, the 8th name, and expects pass",
        ["exists.yml:Exists#2"] = ExistsIsA,
        ["macro.yml:Macro expansion 2#2"] = ExistsIsA,
    };

    private const string ExistsIsA =
        "the exists: target has only AAAA records: RFC 7208 §5.7 looks up A records only ('even when the connection "
        + "type is IPv6'), so it does not match (mail-auth also accepts AAAA and expects pass)";

    public static TheoryData<string, string> Scenarios()
    {
        var data = new TheoryData<string, string>();
        var folder = Path.Combine(Corpus.Root, "spf", Folder);
        if (!Directory.Exists(folder))
        {
            data.Add(Folder, "(corpus absent)");
            return data;
        }
        foreach (var path in Directory.GetFiles(folder, "*.yml").Order(StringComparer.Ordinal))
        {
            var file = $"{Folder}/{Path.GetFileName(path)}";
            foreach (var scenario in MailAuthSpfSuite.Load(path).Scenarios)
                data.Add(file, scenario.Id);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Test_gives_the_expected_result(string file, string id)
    {
        var ct = TestContext.Current.CancellationToken;
        var suite = servers.Suite(file, MailAuthSpfSuite.Load);
        var scenario = suite.Scenarios.Single(s => s.Id == id);
        if (Departures.GetValueOrDefault($"{Path.GetFileName(file)}:{scenario.Name}") is { } departure)
            Assert.Skip(departure);
        var evaluator = new SpfEvaluator(servers.Resolver(file, scenario.Zone, suite.Zones[scenario.Zone]), receiver: "localdomain.org");

        // The driver checks HELO first and MAIL FROM only after a pass, as RFC 7208 §2.3 suggests a verifier may.
        var result = await evaluator.CheckHeloAsync(scenario.Ip, scenario.Helo, ct);
        if (result.Code == SpfResultCode.Pass)
            result = await evaluator.CheckMailFromAsync(scenario.Ip, scenario.Sender, scenario.Helo, ct);

        Assert.True(result.Code.Word() == scenario.Result,
            $"{scenario.Name}: got {result.Code.Word()} ({result.Reason ?? result.Mechanism}), expected {scenario.Result}");
        if (scenario.Explanation is { } expected)
            Assert.Equal(expected, result.Explanation);
    }
}
