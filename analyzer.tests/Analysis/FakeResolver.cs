using System.Net;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>Answers PTR and A/AAAA from memory and counts the PTR questions; everything else is NXDOMAIN.</summary>
internal sealed class FakeResolver : IDnsResolver
{
    public Dictionary<IPAddress, DnsLookup<string>> Ptr { get; } = [];
    public Dictionary<string, IPAddress[]> Addresses { get; } = new(StringComparer.OrdinalIgnoreCase);
    private int _ptrQuestions;

    public int PtrQuestions => _ptrQuestions;

    public Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct)
    {
        Interlocked.Increment(ref _ptrQuestions);
        return Task.FromResult(Ptr.GetValueOrDefault(address, DnsLookup<string>.NxDomain));
    }

    public Task<DnsLookup<IPAddress>> AAsync(string name, CancellationToken ct) => Forward(name, System.Net.Sockets.AddressFamily.InterNetwork);

    public Task<DnsLookup<IPAddress>> AaaaAsync(string name, CancellationToken ct) => Forward(name, System.Net.Sockets.AddressFamily.InterNetworkV6);

    public Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct) => Task.FromResult(DnsLookup<string>.NxDomain);

    public Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct) => Task.FromResult(DnsLookup<MxRecord>.NxDomain);

    private Task<DnsLookup<IPAddress>> Forward(string name, System.Net.Sockets.AddressFamily family) =>
        Task.FromResult(Addresses.TryGetValue(name, out var all)
            ? DnsLookup<IPAddress>.Found(all.Where(a => a.AddressFamily == family).ToList())
            : DnsLookup<IPAddress>.NxDomain);
}
