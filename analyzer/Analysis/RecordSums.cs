using System.Text;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Message counts of streamed records summed per (slice, source address, flags), where a slice is an index
/// the caller gives (domain, day and reporter). Each distinct source address becomes one string, however many
/// records carry it; the stored UTF-8 text is looked up without allocating.
/// </summary>
internal sealed class RecordSums
{
    public readonly record struct Key(int Slice, int Ip, int Flags);

    private readonly Dictionary<string, int> _ips = new(StringComparer.Ordinal);
    private readonly List<string> _ipList = [];
    private readonly Dictionary<Key, long> _sums = [];

    public IReadOnlyDictionary<Key, long> Sums => _sums;

    public string Ip(int index) => _ipList[index];

    public void Add(int slice, ReadOnlySpan<byte> sourceIp, int flags, long count)
    {
        Span<char> text = stackalloc char[Math.Min(sourceIp.Length, 256)];
        var ip = Encoding.UTF8.TryGetChars(sourceIp, text, out var length)
            ? Intern(text[..length])
            : Intern(Encoding.UTF8.GetString(sourceIp));
        Add(new Key(slice, ip, flags), count);
    }

    /// <summary>Adds what another instance summed (another part of the same period).</summary>
    public void Add(RecordSums other)
    {
        var ips = other._ipList.Select(ip => Intern(ip)).ToArray();
        foreach (var (key, count) in other._sums)
            Add(key with { Ip = ips[key.Ip] }, count);
    }

    private void Add(Key key, long count) => _sums[key] = _sums.GetValueOrDefault(key) + count;

    private int Intern(ReadOnlySpan<char> ip)
    {
        var lookup = _ips.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(ip, out var index))
            return index;
        var text = ip.ToString();
        _ips[text] = index = _ipList.Count;
        _ipList.Add(text);
        return index;
    }
}
