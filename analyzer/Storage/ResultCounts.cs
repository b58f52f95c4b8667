using System.Runtime.InteropServices;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// A report's messages per raw SPF and DKIM result and per override reason (report_results), summed while its
/// records are stored. Consecutive records mostly repeat the same result, and the XML reader hands out the same
/// string instance for a repeated value: such a run is summed without a dictionary lookup per record.
/// </summary>
internal sealed class ResultCounts
{
    /// <summary>Distinct values kept per report; RFC 9990 defines fewer than ten of each kind.</summary>
    public const int MaxDistinctValues = 256;

    /// <summary>What values past <see cref="MaxDistinctValues"/> are counted as, and how the analysis names every value RFC 9990 does not define.</summary>
    public const string OtherValues = "(unrecognised)";

    private const long Saturated = 9_000_000_000_000_000_000;

    private readonly Dictionary<(string Kind, string Value), long> _messages = [];
    private readonly Run[] _runs = [new("reason"), new("dkim"), new("spf")];

    public const int Reason = 0, Dkim = 1, Spf = 2;

    /// <summary>The value last counted for a kind, the key it was counted under, and the messages not yet added to it.</summary>
    private sealed class Run(string kind)
    {
        public readonly string Kind = kind;
        public string? Value;
        public (string, string) Key;
        public long Pending;
    }

    public void Clear()
    {
        _messages.Clear();
        foreach (var run in _runs)
        {
            run.Value = null;
            run.Pending = 0;
        }
    }

    /// <summary>
    /// Saturates instead of overflowing: a report may claim absurd counts (each is clamped to 2^40). A hostile
    /// report that gives every record a new result value cannot make the counts grow with it.
    /// </summary>
    public void Add(int kind, string value, long messages)
    {
        var run = _runs[kind];
        if (!ReferenceEquals(value, run.Value))
        {
            Flush(run);
            var key = (run.Kind, value);
            if (_messages.Count >= MaxDistinctValues && !_messages.ContainsKey(key))
                key = (run.Kind, OtherValues);
            _messages.TryAdd(key, 0);
            run.Value = value;
            run.Key = key;
        }
        run.Pending = Math.Min(run.Pending + messages, Saturated);
    }

    /// <summary>Every (kind, value) counted, with its messages.</summary>
    public IEnumerable<KeyValuePair<(string Kind, string Value), long>> Sums()
    {
        foreach (var run in _runs)
            Flush(run);
        return _messages;
    }

    private void Flush(Run run)
    {
        if (run.Value is null)
            return;
        ref var sum = ref CollectionsMarshal.GetValueRefOrNullRef(_messages, run.Key);
        // Both may be near the ceiling already: compared first, never added past it.
        sum = run.Pending >= Saturated - sum ? Saturated : sum + run.Pending;
        run.Pending = 0;
    }
}
