using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Tests.Dns;

namespace DmarcAnalyzer.Tests.Auth.Spf;

/// <summary>
/// Debian's python3-spf (pyspf, over dnspython) and our evaluator answer the same generated zones, both over
/// the wire from one <see cref="LoopbackDnsServer"/>. Every result must agree but for two known differences,
/// where we follow RFC 7208 §4.6.4 ("terms [that] cause DNS queries at the time of evaluation"):
/// pyspf counts a void lookup for every empty query, the address lookups of MX and PTR names included; and it
/// counts a record's redirect= against the limit of 10 when it parses the record, even when a mechanism matches.
/// </summary>
public sealed class PySpfCrossCheckTests
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import json, sys
        import dns.resolver
        import spf
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ['127.0.0.1']
        resolver.port = int(sys.argv[1])
        dns.resolver.default_resolver = resolver
        for case in json.load(open(sys.argv[2])):
            result, _, message = spf.query(i=case['ip'], s=case['sender'], h=case['helo'], timeout=5, querytime=0).check()
            print(result + '\t' + message.replace('\n', ' '), flush=True)
        """;

    [Theory]
    [InlineData(7208)]
    [InlineData(4408)]
    [InlineData(1035)]
    [InlineData(5321)]
    public async Task Pyspf_and_we_agree_on_generated_zones(int seed)
    {
        var ct = TestContext.Current.CancellationToken;
        var (zone, cases) = Generate(new Random(seed), domains: 12, count: 240);
        await using var server = new LoopbackDnsServer(zone);
        var folder = Directory.CreateTempSubdirectory("pyspf").FullName;
        try
        {
            var script = Path.Combine(folder, "check.py");
            var input = Path.Combine(folder, "cases.json");
            await File.WriteAllTextAsync(script, Script, ct);
            await File.WriteAllTextAsync(input, JsonSerializer.Serialize(cases.Select(c => new { ip = c.Ip, sender = c.Sender, helo = c.Helo })), ct);
            var theirs = await RunPyspfAsync(script, server.EndPoint.Port, input, ct);


            var evaluator = new SpfEvaluator(new DnsResolver(LocalZone.Empty, new DnsCache(10_000, TimeProvider.System),
                new DnsTransport([server.EndPoint], TimeSpan.FromSeconds(5), 0)));
            var redirects = cases.Select(c => c.Record).Distinct().Count(r => r.Contains("redirect="));
            var differences = new List<string>();
            var agreed = new HashSet<string>();
            for (var i = 0; i < cases.Count; i++)
            {
                var ours = await evaluator.CheckMailFromAsync(IPAddress.Parse(cases[i].Ip), cases[i].Sender, cases[i].Helo, ct);
                var (result, message) = (theirs[i].Split('\t')[0], theirs[i].Split('\t')[^1]);
                if (ours.Code.Word() == result)
                    agreed.Add(result);
                else if (!KnownDifference(result, message, ours, redirects))
                    differences.Add($"{cases[i].Sender} from {cases[i].Ip}: we say {ours.Code.Word()} ({ours.Reason ?? ours.Mechanism}), pyspf {result} ({message}); record {cases[i].Record}");
            }

            Assert.True(differences.Count == 0, string.Join("\n", differences));
            Assert.Superset(new HashSet<string> { "pass", "fail", "softfail", "neutral", "none", "permerror" }, agreed);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static bool KnownDifference(string result, string message, SpfResult ours, int redirects) =>
        result == "permerror" && ours.Code != SpfResultCode.PermError
        && ((message.Contains("Void lookup limit") && ours.VoidLookups <= SpfEvaluator.MaxVoidLookups)
            || (message.Contains("Too many DNS lookups") && ours.DnsLookups + redirects > SpfEvaluator.MaxDnsTerms));

    private static async Task<List<string>> RunPyspfAsync(string script, int port, string input, CancellationToken ct)
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} is missing: install python3-spf (test.sh does)");
        var start = new ProcessStartInfo(Python, [script, port.ToString(System.Globalization.CultureInfo.InvariantCulture), input])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            Assert.Fail($"pyspf failed (is python3-spf installed? test.sh installs it): {await error}");
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private sealed record Case(string Ip, string Sender, string Helo, string Record);

    /// <summary>Random but valid records over a small world of hosts, MX and PTR data, with includes, redirects and macros.</summary>
    private static (TestZone Zone, List<Case> Cases) Generate(Random random, int domains, int count)
    {
        var zone = new TestZone();
        string[] clients = [.. Enumerable.Range(1, 8).Select(i => $"192.0.2.{i * 16 + 1}"), "198.51.100.5", "2001:db8::5", "2001:db8:1::9"];
        for (var h = 0; h < 6; h++)
        {
            zone.A($"h{h}.example.org", clients[random.Next(9)]);
            if (random.Next(2) == 0)
                zone.Aaaa($"h{h}.example.org", clients[9 + random.Next(2)]);
        }
        foreach (var client in clients.Where(_ => random.Next(3) == 0))
        {
            var host = $"h{random.Next(6)}.example.org";
            zone.Ptr(DnsName.Reverse(IPAddress.Parse(client)), host);
        }
        zone.A($"{clients[0]}.bl.example.org", "127.0.0.2");
        zone.A($"{clients[3]}.bl.example.org", "127.0.0.2");

        var records = new Dictionary<string, string>();
        for (var d = 0; d < domains; d++)
        {
            var name = $"d{d}.example.com";
            for (var m = 0; m < random.Next(3); m++)
                zone.Mx(name, (ushort)(m * 10), $"h{random.Next(6)}.example.org");
            if (random.Next(2) == 0)
                zone.A(name, clients[random.Next(9)]);
            var terms = new List<string>();
            for (var t = random.Next(1, 6); t > 0; t--)
                terms.Add(Term(random, d, domains, clients));
            if (random.Next(4) == 0 && d + 1 < domains)
                terms.Add($"redirect=d{random.Next(d + 1, domains)}.example.com");
            else
                terms.Add(new[] { "-all", "~all", "?all", "-all" }[random.Next(4)]);
            var record = "v=spf1 " + string.Join(' ', terms);
            records[name] = record;
            zone.Txt(name, record);
        }
        var cases = new List<Case>();
        for (var c = 0; c < count; c++)
        {
            var d = random.Next(domains + 1); // one past the end: a domain without a record
            cases.Add(new Case(clients[random.Next(clients.Length)], $"user{c % 3}@d{d}.example.com", "helo.example.org",
                records.GetValueOrDefault($"d{d}.example.com", "(none)")));
        }
        return (zone, cases);
    }

    private static string Term(Random random, int domain, int domains, string[] clients)
    {
        var qualifier = new[] { "", "+", "-", "~", "?" }[random.Next(5)];
        var host = $"h{random.Next(7)}.example.org"; // h6 does not exist: a void lookup
        var mechanism = random.Next(11) switch
        {
            0 => $"ip4:{clients[random.Next(9)]}/{new[] { 32, 28, 24, 16 }[random.Next(4)]}",
            1 => $"ip6:2001:db8::/{new[] { 32, 48, 128 }[random.Next(3)]}",
            2 => "a",
            3 => $"a:{host}/{new[] { 32, 24 }[random.Next(2)]}",
            4 => "mx",
            5 => $"mx:d{random.Next(domains)}.example.com//64",
            6 => "ptr:example.org",
            7 => "exists:%{i}.bl.example.org",
            8 when domain + 1 < domains => $"include:d{random.Next(domain + 1, domains + 1)}.example.com",
            9 => $"a:{host}",
            _ => "ptr",
        };
        return qualifier + mechanism;
    }
}
