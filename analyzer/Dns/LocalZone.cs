namespace DmarcAnalyzer.Dns;

/// <summary>
/// Records from the administrator's zone files, answered before the network. A name the zone knows is
/// answered from the zone alone: other types are NODATA, as unbound's "transparent" local data does.
/// </summary>
internal sealed class LocalZone
{
    private readonly Dictionary<string, List<DnsRecord>> _byName = new(StringComparer.Ordinal);

    public static LocalZone Empty { get; } = new([]);

    public LocalZone(IEnumerable<DnsRecord> records)
    {
        foreach (var record in records)
        {
            if (!_byName.TryGetValue(record.Name, out var list))
                _byName[record.Name] = list = [];
            list.Add(record);
        }
    }

    public bool Knows(string name) => _byName.ContainsKey(name);

    /// <summary>True when the zones hold a name below <paramref name="name"/> (it is then an empty non-terminal, or owns records).</summary>
    public bool HasNamesBelow(string name) => _byName.Keys.Any(n => n.EndsWith("." + name, StringComparison.Ordinal));

    public bool TryAnswer(string name, DnsType type, out DnsAnswer answer)
    {
        if (!_byName.TryGetValue(name, out var records))
        {
            answer = null!;
            return false;
        }
        var matching = records.FindAll(r => r.Type == type);
        if (matching.Count > 0)
            answer = new DnsAnswer(DnsOutcome.Found, matching, matching.Min(r => r.Ttl));
        else if (type != DnsType.Cname && records.Find(r => r.Type == DnsType.Cname) is { } alias)
            answer = new DnsAnswer(DnsOutcome.NoData, [], alias.Ttl, alias.Text);
        else
            answer = new DnsAnswer(DnsOutcome.NoData, [], 0);
        return true;
    }
}
