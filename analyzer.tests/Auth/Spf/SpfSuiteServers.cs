using System.Collections.Concurrent;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Tests.Dns;

namespace DmarcAnalyzer.Tests.Auth.Spf;

/// <summary>
/// The shared fixture of the corpus SPF suites: each suite file loaded once, and one <see cref="LoopbackDnsServer"/>
/// with its own resolver (UDP/TCP, cache) per zone of a file, started on first use and stopped with the fixture.
/// </summary>
public sealed class SpfSuiteServers : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, object> _suites = new();
    private readonly ConcurrentDictionary<(string File, int Zone), (LoopbackDnsServer Server, DnsResolver Resolver)> _running = new();

    /// <summary>The suite in corpus file spf/<paramref name="file"/>, read by <paramref name="load"/> on first use.</summary>
    internal T Suite<T>(string file, Func<string, T> load) where T : class =>
        (T)_suites.GetOrAdd(file, f => load(Corpus.Require("spf", f)));

    /// <summary>A resolver whose only server serves <paramref name="zone"/>, number <paramref name="index"/> of the file.</summary>
    internal DnsResolver Resolver(string file, int index, TestZone zone) => _running.GetOrAdd((file, index), _ =>
    {
        var server = new LoopbackDnsServer(zone);
        // The suites' TIMEOUT names cost one timeout each; a second is ample for a loopback answer on a busy machine.
        var transport = new DnsTransport([server.EndPoint], TimeSpan.FromSeconds(1), retries: 0);
        return (server, new DnsResolver(LocalZone.Empty, new DnsCache(10_000, TimeProvider.System), transport));
    }).Resolver;

    public async ValueTask DisposeAsync()
    {
        foreach (var (server, _) in _running.Values)
            await server.DisposeAsync();
    }
}
