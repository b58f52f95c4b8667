using DmarcAnalyzer.Tests.Dns;

namespace DmarcAnalyzer.Tests.Auth.Spf;

/// <summary>
/// One openspf-format test-suite file (pyspf's rfc7208-tests.yml and its kin): per document a set of
/// scenarios and the zone data they run against, turned into a <see cref="TestZone"/> the way the suite's
/// drivers read it: SPF records are served as TXT unless the name has TXT entries of its own ("TXT: NONE"
/// says none), TIMEOUT makes queries time out for types the name holds no record of, SERVFAIL fails them.
/// </summary>
internal sealed class SpfSuite
{
    /// <param name="Departure">Why the scenario does not apply to an RFC 7208 implementation, when it does not.</param>
    public sealed record Scenario(int Document, string Name, string Helo, string Host, string MailFrom, IReadOnlyList<string> Results,
        string? Explanation, string? Departure);

    public IReadOnlyList<Scenario> Scenarios { get; }
    public IReadOnlyList<TestZone> Zones { get; }

    private SpfSuite(IReadOnlyList<Scenario> scenarios, IReadOnlyList<TestZone> zones)
    {
        Scenarios = scenarios;
        Zones = zones;
    }

    public static SpfSuite Load(string path)
    {
        var scenarios = new List<Scenario>();
        var zones = new List<TestZone>();
        foreach (var document in MiniYaml.LoadDocuments(File.ReadAllText(path)))
        {
            if (document.GetValueOrDefault("tests") is not Dictionary<string, object?> tests)
                continue;
            var index = zones.Count;
            zones.Add(ToZone(document.GetValueOrDefault("zonedata") as Dictionary<string, object?> ?? []));
            foreach (var (name, body) in tests)
            {
                var test = (Dictionary<string, object?>)body!;
                var results = test["result"] switch
                {
                    string one => [one],
                    List<object?> several => several.Select(r => (string)r!).ToList(),
                    var other => throw new FormatException($"{name}: result {other}"),
                };
                scenarios.Add(new Scenario(index, name, (string?)test.GetValueOrDefault("helo") ?? "", (string)test["host"]!,
                    (string?)test.GetValueOrDefault("mailfrom") ?? "", results, (string?)test.GetValueOrDefault("explanation"),
                    Departure(test, results)));
            }
        }
        return new SpfSuite(scenarios, zones);
    }

    /// <summary>pyspf's own file also tests its lax mode (strict: 0) and its non-RFC "ambiguous" result.</summary>
    private static string? Departure(Dictionary<string, object?> test, List<string> results) =>
        test.GetValueOrDefault("strict") is "0" || results.Contains("ambiguous") ? "pyspf's lax-mode extensions, not RFC 7208" : null;

    private static TestZone ToZone(Dictionary<string, object?> zonedata)
    {
        var zone = new TestZone();
        foreach (var (name, entries) in zonedata)
        {
            var node = zone[name];
            var items = entries as List<object?> ?? [];
            var hasTxt = items.OfType<Dictionary<string, object?>>().Any(e => e.ContainsKey("TXT"));
            foreach (var item in items)
            {
                if (item is "TIMEOUT" || (item is Dictionary<string, object?> flag && flag.ContainsKey("TIMEOUT")))
                {
                    node.TimesOut = true;
                    continue;
                }
                if (item is Dictionary<string, object?> failure && failure.ContainsKey("SERVFAIL"))
                {
                    node.ServFails = true;
                    continue;
                }
                var (type, value) = ((Dictionary<string, object?>)item!).Single();
                switch (type)
                {
                    case "SPF" when !hasTxt:
                    case "TXT" when value is not "NONE":
                        zone.Txt(name, value is List<object?> strings ? strings.Select(s => (string)s!).ToArray() : [(string)value!]);
                        break;
                    case "A":
                        zone.A(name, (string)value!);
                        break;
                    case "AAAA":
                        zone.Aaaa(name, (string)value!);
                        break;
                    case "MX":
                        var mx = (List<object?>)value!;
                        zone.Mx(name, ushort.Parse((string)mx[0]!), (string)mx[1]!);
                        break;
                    case "PTR":
                        zone.Ptr(name, (string)value!);
                        break;
                    case "CNAME":
                        zone.Cname(name, (string)value!);
                        break;
                }
            }
        }
        return zone;
    }
}
