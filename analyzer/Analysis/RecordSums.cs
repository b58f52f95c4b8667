using System.Text;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Message counts of streamed records summed per (slice, source address, flags), where a slice is an index
/// the caller gives (domain, day and reporter), and per (source address, signing domain of its own). Each distinct
/// source address and domain becomes one string, however many records carry it; the stored UTF-8 text is looked up
/// without allocating.
/// </summary>
internal sealed class RecordSums
{
    public readonly record struct Key(int Slice, int Ip, int Flags);

    public readonly record struct SignerKey(int Ip, int Domain);

    private readonly Strings _ips = new();
    private readonly Strings _domains = new();
    private readonly Dictionary<Key, long> _sums = [];
    private readonly Dictionary<SignerKey, long> _signers = [];

    public IReadOnlyDictionary<Key, long> Sums => _sums;

    /// <summary>Messages per source address and signing domain of its own, saturated at <see cref="RecordQueries.MaxSignedMessages"/>.</summary>
    public IReadOnlyDictionary<SignerKey, long> Signers => _signers;

    public string Ip(int index) => _ips[index];

    public string Domain(int index) => _domains[index];

    /// <summary>Adds a record; its signing domain of its own, when not empty, counts for its source address too.</summary>
    public void Add(int slice, ReadOnlySpan<byte> sourceIp, int flags, long count, ReadOnlySpan<byte> signingDomain = default)
    {
        var ip = _ips.Intern(sourceIp);
        Add(new Key(slice, ip, flags), count);
        if (!signingDomain.IsEmpty)
            AddSigner(new SignerKey(ip, _domains.Intern(signingDomain)), count);
    }

    /// <summary>Adds what another instance summed (another part of the same period).</summary>
    public void Add(RecordSums other)
    {
        var ips = other._ips.All.Select(ip => _ips.Intern(ip)).ToArray();
        foreach (var (key, count) in other._sums)
            Add(key with { Ip = ips[key.Ip] }, count);
        var domains = other._domains.All.Select(domain => _domains.Intern(domain)).ToArray();
        foreach (var (key, count) in other._signers)
            AddSigner(new SignerKey(ips[key.Ip], domains[key.Domain]), count);
    }

    private void Add(Key key, long count) => _sums[key] = _sums.GetValueOrDefault(key) + count;

    private void AddSigner(SignerKey key, long count) =>
        _signers[key] = Math.Min(_signers.GetValueOrDefault(key) + count, RecordQueries.MaxSignedMessages);

    /// <summary>Distinct strings by index, looked up by their UTF-8 or UTF-16 text.</summary>
    private sealed class Strings
    {
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private readonly List<string> _list = [];

        public string this[int index] => _list[index];

        public IReadOnlyList<string> All => _list;

        public int Intern(ReadOnlySpan<byte> utf8)
        {
            Span<char> text = stackalloc char[Math.Min(utf8.Length, 256)];
            return Encoding.UTF8.TryGetChars(utf8, text, out var length)
                ? Intern(text[..length])
                : Intern(Encoding.UTF8.GetString(utf8));
        }

        public int Intern(ReadOnlySpan<char> text)
        {
            var lookup = _index.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(text, out var index))
                return index;
            var value = text.ToString();
            _index[value] = index = _list.Count;
            _list.Add(value);
            return index;
        }
    }
}
