using System.Collections.Concurrent;

namespace DmarcAnalyzer.Dns;

/// <summary>
/// Answers kept for their TTL, negative answers for the SOA-derived negative TTL (RFC 2308 §5).
/// Bounded: when full, expired entries go first, then arbitrary ones until a tenth of the room is free.
/// Safe under concurrency: a lost race only costs a repeated query.
/// </summary>
internal sealed class DnsCache(int capacity, TimeProvider clock)
{
    /// <summary>No answer is trusted longer than a day, whatever its TTL says (as resolvers cap it).</summary>
    private const uint MaxTtl = 86400;

    private readonly ConcurrentDictionary<(string Name, DnsType Type), Entry> _entries = new();
    private readonly Lock _trimming = new();

    public int Count => _entries.Count;

    public bool TryGet(string name, DnsType type, out DnsAnswer answer)
    {
        if (_entries.TryGetValue((name, type), out var entry))
        {
            if (entry.Expires > clock.GetTimestamp())
            {
                answer = entry.Answer;
                return true;
            }
            _entries.TryRemove(new KeyValuePair<(string, DnsType), Entry>((name, type), entry));
        }
        answer = null!;
        return false;
    }

    public void Add(string name, DnsType type, DnsAnswer answer)
    {
        var ttl = Math.Min(answer.Ttl, MaxTtl);
        if (ttl == 0 || answer.Outcome == DnsOutcome.TempError)
            return;
        if (_entries.Count >= capacity)
            Trim();
        _entries[(name, type)] = new Entry(answer, clock.GetTimestamp() + (long)(ttl * (double)clock.TimestampFrequency));
    }

    private void Trim()
    {
        lock (_trimming)
        {
            if (_entries.Count < capacity)
                return;
            var now = clock.GetTimestamp();
            foreach (var (key, entry) in _entries)
                if (entry.Expires <= now)
                    _entries.TryRemove(key, out _);
            var target = capacity - Math.Max(1, capacity / 10);
            foreach (var key in _entries.Keys)
            {
                if (_entries.Count <= target)
                    break;
                _entries.TryRemove(key, out _);
            }
        }
    }

    private sealed record Entry(DnsAnswer Answer, long Expires);
}
