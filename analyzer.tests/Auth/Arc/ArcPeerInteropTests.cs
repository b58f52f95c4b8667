using System.Diagnostics;
using System.Text.Json;
using DmarcAnalyzer.Auth.Arc;
using static DmarcAnalyzer.Tests.Auth.Arc.ArcTestChains;

namespace DmarcAnalyzer.Tests.Auth.Arc;

/// <summary>
/// Both ways with another ARC implementation, keys from one test zone given to both: its chains of 1 to 3 hops verify
/// with us, our seal on top of its chains verifies with it, and broken chains fail with both. A peer is a script that
/// reads {mode, records, message and hops | messages} as JSON on stdin and prints a JSON list: the sealed message, or
/// the verifier's result per message.
/// </summary>
public abstract class ArcPeerInteropTests
{
    private static readonly string[] Hops = ["lists.example.org", "forward.example.net", "relay.example.com"];

    private readonly Dictionary<string, string> _records = [];
    private readonly Dictionary<string, string> _keys = [];
    private readonly string _selector;

    protected ArcPeerInteropTests(string selector)
    {
        _selector = selector;
        foreach (var hop in Hops.Append("us.example"))
        {
            var (pem, record) = RsaKey(2048);
            _keys[hop] = pem;
            _records[$"{selector}._domainkey.{hop}"] = record;
        }
    }

    /// <summary>The peer's name in assertion messages.</summary>
    protected abstract string Peer { get; }

    /// <summary>The peer's process, its script named; <paramref name="folder"/> is there for a script file.</summary>
    protected abstract Task<ProcessStartInfo> StartInfoAsync(string folder);

    private FakeDnsResolver Dns()
    {
        var dns = new FakeDnsResolver();
        foreach (var (name, value) in _records)
            dns.Txt(name, value);
        return dns;
    }

    private async Task<string> PeerChainAsync(int hops) => Assert.Single(await RunAsync(new
    {
        mode = "sign",
        message = Message,
        records = _records,
        hops = Hops.Take(hops).Select(h => new { domain = h, selector = _selector, key = _keys[h], srv_id = "mx." + h }),
    }));

    private Task<List<string>> PeerVerifyAsync(params string[] messages) => RunAsync(new { mode = "verify", messages, records = _records });

    private Task<string> OurSealAsync(string message) => ArcTestChains.OurSealAsync(message, _keys["us.example"], _selector, Dns());

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task TheirChainsVerifyWithUs(int hops)
    {
        var chain = await PeerChainAsync(hops);
        Assert.Equal(["pass"], await PeerVerifyAsync(chain));
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
    public async Task OurSealOnTheirChainVerifiesWithThem(int hops)
    {
        var chain = hops == 0 ? Message : await PeerChainAsync(hops);
        var sealed_ = await OurSealAsync(chain);
        Assert.Contains($"i={hops + 1}", sealed_);
        Assert.Contains(hops == 0 ? "cv=none" : "cv=pass", sealed_);
        Assert.Equal(["pass"], await PeerVerifyAsync(sealed_));
        Assert.Equal(ArcChainState.Pass, (await VerifyAsync(sealed_, Dns())).State);
    }

    [Fact]
    public async Task BrokenChainsFailWithBoth()
    {
        var chain = await PeerChainAsync(3);
        var ourChain = await OurSealAsync(await PeerChainAsync(2));
        string[] broken =
        [
            chain.Replace("Joe.", "Jim."),
            ourChain.Replace("Joe.", "Jim."),
            WithoutSeal(chain, 2),
            WithoutSeal(ourChain, 3),
            SwappedInstances(chain),
            SwappedInstances(ourChain),
        ];
        var theirs = await PeerVerifyAsync(broken);
        for (var n = 0; n < broken.Length; n++)
        {
            Assert.True(theirs[n] == "fail", $"case {n}: {Peer} says {theirs[n]}");
            var ours = await VerifyAsync(broken[n], Dns());
            Assert.True(ours.State == ArcChainState.Fail, $"case {n}: we say {ours.State}");
        }
    }

    private async Task<List<string>> RunAsync(object input)
    {
        using var folder = new TempFolder();
        var start = await StartInfoAsync(folder.Path);
        start.RedirectStandardInput = start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(input));
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            Assert.Fail($"{Peer} exited {process.ExitCode}: {await stderr}");
        return JsonSerializer.Deserialize<List<string>>(await stdout)!;
    }
}
