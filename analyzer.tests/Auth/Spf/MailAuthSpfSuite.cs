using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Tests.Dns;

namespace DmarcAnalyzer.Tests.Auth.Spf;

/// <summary>
/// One stalwartlabs/mail-auth SPF test file (resources/spf/*.yml). It looks like YAML but is not (record keys
/// repeat), so it is read line by line in order, as mail-auth's own driver reads it. After an optional "- ":
/// "name: N" names the tests that follow; "spf: NAME TEXT" and "exp: NAME TEXT" set NAME's TXT record; "a:" and
/// "aaaa: NAME ADDR, ADDR…" its addresses; "mx: NAME ADDR, ADDR…" its MX set, one exchange per address in
/// preference order; "ptr: ADDR NAME, NAME…" the address's PTR names; "domain:" (the HELO name), "sender:" and "ip:"
/// set the input of the tests that follow, and each "expect: RESULT [EXPLANATION]" is one test.
/// A record line replaces what its name held of that kind, and records carry on across "---" within a file, as
/// the driver's caches do: every test sees the records set before it. Names whose first label is "_dns_error"
/// answer SERVFAIL, as the driver's resolver does for them.
/// </summary>
internal sealed partial class MailAuthSpfSuite
{
    private const int MaxBytes = 1 << 20;
    private const int MaxValuesPerLine = 64;

    /// <param name="Name">The test's name and its number under that name, as departures are keyed.</param>
    /// <param name="Explanation">The expected exp= text, when the test gives one.</param>
    public sealed record Scenario(int Zone, string Id, string Name, string Helo, string Sender, IPAddress Ip, string Result,
        string? Explanation);

    public IReadOnlyList<Scenario> Scenarios { get; }
    public IReadOnlyList<TestZone> Zones { get; }

    private MailAuthSpfSuite(IReadOnlyList<Scenario> scenarios, IReadOnlyList<TestZone> zones)
    {
        Scenarios = scenarios;
        Zones = zones;
    }

    [GeneratedRegex(@"(?<![\w.-])_dns_error(\.[A-Za-z0-9_-]+)+", RegexOptions.IgnoreCase)]
    private static partial Regex DnsErrorName();

    public static MailAuthSpfSuite Load(string path)
    {
        if (new FileInfo(path).Length > MaxBytes)
            throw new FormatException($"{path}: larger than {MaxBytes} bytes");
        var text = File.ReadAllText(path);
        var records = new Records(DnsErrorName().Matches(text).Select(m => m.Value).ToHashSet(StringComparer.OrdinalIgnoreCase));
        var scenarios = new List<Scenario>();
        var zones = new List<TestZone>();
        var (document, name, helo, sender, ip) = (0, "", "", "", IPAddress.Loopback);
        var numbers = new Dictionary<string, int>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (var number = 1; number <= lines.Length; number++)
        {
            var line = lines[number - 1].Trim();
            if (line == "---")
            {
                document++;
                continue;
            }
            if (line.StartsWith('-'))
                line = line[1..].TrimStart();
            if (line.Length == 0 || line.StartsWith('#') || line is "records:" or "tests:")
                continue;
            var colon = line.IndexOf(':');
            if (colon <= 0)
                throw new FormatException($"{path}:{number}: expected 'key: value': {line}");
            var (key, value) = (line[..colon], line[(colon + 1)..].Trim());
            try
            {
                switch (key)
                {
                    case "name":
                        name = value;
                        break;
                    case "domain":
                        helo = value;
                        break;
                    case "sender":
                        sender = value;
                        break;
                    case "ip":
                        ip = IPAddress.Parse(value);
                        break;
                    case "expect":
                        var space = value.IndexOf(' ');
                        var (result, explanation) = space < 0 ? (value, null) : (value[..space], value[(space + 1)..].Trim());
                        if (records.Changed)
                            zones.Add(records.ToZone());
                        var count = numbers[name] = numbers.GetValueOrDefault(name) + 1;
                        scenarios.Add(new Scenario(zones.Count - 1, $"{document}/{name}#{count}", $"{name}#{count}", helo, sender, ip,
                            result, explanation));
                        break;
                    default:
                        records.Set(key, value);
                        break;
                }
            }
            catch (FormatException e)
            {
                throw new FormatException($"{path}:{number}: {e.Message}", e);
            }
        }
        return new MailAuthSpfSuite(scenarios, zones);
    }

    /// <summary>The records as they stand at a point of the file.</summary>
    private sealed class Records(HashSet<string> failing)
    {
        private readonly Dictionary<string, string> _txt = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, IPAddress[]> _a = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, IPAddress[]> _aaaa = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, IPAddress[]> _mx = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<IPAddress, string[]> _ptr = [];

        public bool Changed { get; private set; } = true;

        public void Set(string kind, string value)
        {
            var space = value.IndexOf(' ');
            if (space <= 0)
                throw new FormatException($"expected '{kind}: NAME VALUE': {value}");
            var (name, rest) = (value[..space], value[(space + 1)..].Trim());
            switch (kind)
            {
                case "spf" or "exp":
                    _txt[name] = rest;
                    break;
                case "a":
                    _a[name] = Addresses(rest, AddressFamily.InterNetwork);
                    break;
                case "aaaa":
                    _aaaa[name] = Addresses(rest, AddressFamily.InterNetworkV6);
                    break;
                case "mx":
                    _mx[name] = Addresses(rest, null);
                    break;
                case "ptr":
                    _ptr[IPAddress.Parse(name)] = List(rest);
                    break;
                default:
                    throw new FormatException($"unknown key '{kind}'");
            }
            Changed = true;
        }

        public TestZone ToZone()
        {
            Changed = false;
            var zone = new TestZone();
            foreach (var (name, text) in _txt)
                zone.Txt(name, text);
            foreach (var (name, addresses) in _a.Concat(_aaaa))
                foreach (var address in addresses)
                    Address(zone, name, address);
            foreach (var (name, addresses) in _mx)
            {
                for (var i = 0; i < addresses.Length; i++)
                {
                    // The driver makes up one exchange per address; ours is named after the address's bytes.
                    var exchange = Convert.ToHexStringLower(addresses[i].GetAddressBytes()) + ".mx.test";
                    zone.Mx(name, (ushort)(i + 1), exchange);
                    if (!zone.TryGet(exchange, out _))
                        Address(zone, exchange, addresses[i]);
                }
            }
            foreach (var (address, names) in _ptr)
                foreach (var name in names)
                    zone.Ptr(DnsName.Reverse(address), name);
            foreach (var name in failing)
                zone[name].ServFails = true;
            return zone;
        }

        private static void Address(TestZone zone, string name, IPAddress address)
        {
            if (address.AddressFamily == AddressFamily.InterNetwork)
                zone.A(name, address.ToString());
            else
                zone.Aaaa(name, address.ToString());
        }

        private static IPAddress[] Addresses(string list, AddressFamily? family)
        {
            var addresses = List(list).Select(IPAddress.Parse).ToArray();
            if (family is { } wanted && addresses.FirstOrDefault(a => a.AddressFamily != wanted) is { } wrong)
                throw new FormatException($"{wrong} is not of the record's address family");
            return addresses;
        }

        private static string[] List(string list)
        {
            var items = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (items.Length is 0 or > MaxValuesPerLine)
                throw new FormatException($"expected 1 to {MaxValuesPerLine} comma-separated values: {list}");
            return items;
        }
    }
}
