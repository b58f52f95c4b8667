using System.Net;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Tests.Auth;

/// <summary>An in-memory <see cref="IDnsResolver"/>: TXT and A records by name, names that time out, and a query log.</summary>
internal sealed class FakeDnsResolver : IDnsResolver
{
    private readonly Dictionary<string, List<string>> _txt = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<IPAddress>> _a = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _failing = new(StringComparer.OrdinalIgnoreCase);

    public List<string> Queries { get; } = [];

    /// <summary>The TXT records and the failing names, for handing the same DNS to another verifier.</summary>
    public IReadOnlyDictionary<string, List<string>> TxtRecords => _txt;

    public IReadOnlyCollection<string> FailingNames => _failing;

    public FakeDnsResolver Txt(string name, string value)
    {
        Key(name, _txt).Add(value);
        return this;
    }

    public FakeDnsResolver A(string name, string address = "192.0.2.1")
    {
        Key(name, _a).Add(IPAddress.Parse(address));
        return this;
    }

    public FakeDnsResolver Failing(string name)
    {
        _failing.Add(Normalize(name));
        return this;
    }

    public Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct) => Task.FromResult(Lookup("TXT", name, _txt));

    public Task<DnsLookup<IPAddress>> AAsync(string name, CancellationToken ct) => Task.FromResult(Lookup("A", name, _a));

    public Task<DnsLookup<IPAddress>> AaaaAsync(string name, CancellationToken ct) =>
        Task.FromResult(Lookup("AAAA", name, new Dictionary<string, List<IPAddress>>()));

    public Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct) =>
        Task.FromResult(Lookup("MX", name, new Dictionary<string, List<MxRecord>>()));

    public Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct) =>
        Task.FromResult(DnsLookup<string>.NxDomain);

    private DnsLookup<T> Lookup<T>(string type, string name, Dictionary<string, List<T>> table)
    {
        name = Normalize(name);
        Queries.Add($"{type} {name}");
        if (_failing.Contains(name))
            return DnsLookup<T>.TempError("timed out");
        if (table.TryGetValue(name, out var records))
            return DnsLookup<T>.Found(records);
        // A name that owns any record, or has one below it, exists: NODATA rather than NXDOMAIN.
        var exists = _txt.Keys.Concat(_a.Keys).Any(n => n == name || n.EndsWith("." + name, StringComparison.OrdinalIgnoreCase));
        return exists ? DnsLookup<T>.NoData : DnsLookup<T>.NxDomain;
    }

    private static List<T> Key<T>(string name, Dictionary<string, List<T>> table)
    {
        name = Normalize(name);
        if (!table.TryGetValue(name, out var list))
            table[name] = list = [];
        return list;
    }

    private static string Normalize(string name) => name.TrimEnd('.').ToLowerInvariant();
}
