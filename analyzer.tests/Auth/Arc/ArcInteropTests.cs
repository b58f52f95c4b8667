using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Arc;
using DmarcAnalyzer.Auth.Dmarc;
using static DmarcAnalyzer.Tests.Auth.Arc.ArcTestChains;

namespace DmarcAnalyzer.Tests.Auth.Arc;

/// <summary>
/// Both ways with Debian's python3-dkim (dkim.arc_sign, dkim.arc_verify), keys from one test zone given to both: its
/// chains of 1 to 3 hops verify with us, our seal on top of its chains verifies with it, and broken chains fail with both.
/// </summary>
public sealed class ArcInteropTests
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import sys, json, dkim
        data = json.load(sys.stdin)
        records = data['records']
        def dnsfunc(name, timeout=5):
            name = name.decode() if isinstance(name, bytes) else name
            value = records.get(name.rstrip('.'))
            return value.encode() if value else None
        if data['mode'] == 'sign':
            msg = data['message'].encode('latin-1')
            for hop in data['hops']:
                arc = dkim.arc_verify(msg, dnsfunc=dnsfunc)[0].decode() if b'\nARC-Seal:' in b'\n' + msg else 'none'
                msg = ('Authentication-Results: %s; spf=pass smtp.mailfrom=joe@example.com; arc=%s\r\n' % (hop['srv_id'], arc)).encode() + msg
                msg = b''.join(dkim.arc_sign(msg, hop['selector'].encode(), hop['domain'].encode(), hop['key'].encode(), hop['srv_id'].encode())) + msg
            print(json.dumps(msg.decode('latin-1')))
        else:
            print(json.dumps([dkim.arc_verify(m.encode('latin-1'), dnsfunc=dnsfunc)[0].decode() for m in data['messages']]))
        """;

    private static readonly string[] Hops = ["lists.example.org", "forward.example.net", "relay.example.com"];

    private readonly Dictionary<string, string> _records = [];
    private readonly Dictionary<string, string> _keys = [];

    public ArcInteropTests()
    {
        foreach (var hop in Hops.Append("us.example"))
        {
            var (pem, record) = RsaKey(2048);
            _keys[hop] = pem;
            _records[$"py._domainkey.{hop}"] = record;
        }
    }

    private FakeDnsResolver Dns()
    {
        var dns = new FakeDnsResolver();
        foreach (var (name, value) in _records)
            dns.Txt(name, value);
        return dns;
    }

    private Task<string> PythonChainAsync(int hops) => RunAsync<string>(new
    {
        mode = "sign",
        message = Message,
        records = _records,
        hops = Hops.Take(hops).Select(h => new { domain = h, selector = "py", key = _keys[h], srv_id = "mx." + h }),
    });

    private Task<List<string>> PythonVerifyAsync(params string[] messages) => RunAsync<List<string>>(new { mode = "verify", messages, records = _records });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task PythonChainsVerifyWithUs(int hops)
    {
        var chain = await PythonChainAsync(hops);
        Assert.Equal(["pass"], await PythonVerifyAsync(chain));
        var ours = await VerifyAsync(chain, Dns());
        Assert.True(ours.State == ArcChainState.Pass, $"{ours.State}: {ours.Reason}");
        Assert.Equal(hops, ours.Sets);
        Assert.Equal(Hops[hops - 1], ours.Sealer);
        Assert.Equal($"mx.{Hops[hops - 1]}", ours.NewestHop?.AuthservId);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task OurSealOnTheirChainVerifiesWithPython(int hops)
    {
        var chain = hops == 0 ? Message : await PythonChainAsync(hops);
        var sealed_ = await OurSealAsync(chain);
        Assert.Contains($"i={hops + 1}", sealed_);
        Assert.Contains(hops == 0 ? "cv=none" : "cv=pass", sealed_);
        Assert.Equal(["pass"], await PythonVerifyAsync(sealed_));
        Assert.Equal(ArcChainState.Pass, (await VerifyAsync(sealed_, Dns())).State);
    }

    [Fact]
    public async Task BrokenChainsFailWithBoth()
    {
        var chain = await PythonChainAsync(3);
        var ourChain = await OurSealAsync(await PythonChainAsync(2));
        string[] broken =
        [
            chain.Replace("Joe.", "Jim."),
            ourChain.Replace("Joe.", "Jim."),
            WithoutSeal(chain, 2),
            WithoutSeal(ourChain, 3),
            Regex.Replace(chain, @"\bi=([23]);", m => m.Groups[1].Value == "2" ? "i=3;" : "i=2;"),
        ];
        var python = await PythonVerifyAsync(broken);
        for (var n = 0; n < broken.Length; n++)
        {
            Assert.True(python[n] == "fail", $"case {n}: python3-dkim says {python[n]}");
            var ours = await VerifyAsync(broken[n], Dns());
            Assert.True(ours.State == ArcChainState.Fail, $"case {n}: we say {ours.State}");
        }
    }

    /// <summary>Our verification, Authentication-Results and seal on top, as the milter adds them.</summary>
    private async Task<string> OurSealAsync(string message)
    {
        var arc = await VerifyAsync(message, Dns());
        var results = AuthenticationResultsWriter.Write("mx.us.example", new SpfOutcome("pass", "example.com"), [], null, arc, "192.0.2.1");
        var withResults = $"Authentication-Results: {results}\r\n{message}";
        using var folder = new TempFolder();
        var keyFile = Path.Combine(folder.Path, "arc.pem");
        await File.WriteAllTextAsync(keyFile, _keys["us.example"]);
        var key = ArcSealKey.Read("us.example", "py", keyFile, "rsa-sha256");
        var set = await ArcSealer.SealAsync(key, new MemoryStream(Encoding.Latin1.GetBytes(withResults)), results, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.NotNull(set);
        return string.Concat(set.Select(f => $"{f.Name}: {f.Value}\r\n")) + withResults;
    }

    private static string WithoutSeal(string message, int instance)
    {
        var lines = Regex.Replace(message, "\r\n([ \t])", "\u0001$1").Split("\r\n");
        return string.Join("\r\n", lines.Where(l => !(l.StartsWith("ARC-Seal:", StringComparison.OrdinalIgnoreCase) && Regex.IsMatch(l, $@"\bi={instance};"))))
            .Replace("\u0001", "\r\n");
    }

    private static async Task<T> RunAsync<T>(object input)
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} is missing: install python3-dkim (test.sh does)");
        var start = new ProcessStartInfo(Python, ["-c", Script]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(input));
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            Assert.Fail($"python3-dkim exited {process.ExitCode}: {await stderr}");
        return JsonSerializer.Deserialize<T>(await stdout)!;
    }
}
