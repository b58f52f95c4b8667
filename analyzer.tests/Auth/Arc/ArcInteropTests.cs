using System.Diagnostics;
using System.Text.Json;
using DmarcAnalyzer.Auth.Arc;
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
            SwappedInstances(chain),
        ];
        var python = await PythonVerifyAsync(broken);
        for (var n = 0; n < broken.Length; n++)
        {
            Assert.True(python[n] == "fail", $"case {n}: python3-dkim says {python[n]}");
            var ours = await VerifyAsync(broken[n], Dns());
            Assert.True(ours.State == ArcChainState.Fail, $"case {n}: we say {ours.State}");
        }
    }

    private Task<string> OurSealAsync(string message) => ArcTestChains.OurSealAsync(message, _keys["us.example"], "py", Dns());

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
