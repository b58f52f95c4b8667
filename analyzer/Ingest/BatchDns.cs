using System.Net;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// The DNS that verifying report mail asks, for one batch (<see cref="Lifetime"/>: a run of <c>dmarc ingest</c>, or
/// one poll of a mailbox): TXT answers are kept, so the same reporter's key is asked once, and when DNS is down the
/// batch waits for one timeout, not one per message. DNS counts as down when a lookup fails before any has been
/// answered, or when two fail in a row; a single failure after answers is that name's own (the signer chose the name,
/// and a lame zone of its own must not switch verification off for everyone else's reports). A mail's own lookups
/// stop at its first failure (<see cref="MessageDns"/>), so "two in a row" means two mails.
/// </summary>
internal sealed class BatchDns(IDnsResolver? inner, TimeProvider time) : IDnsResolver
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private const string Unavailable = "DNS unavailable";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, DnsLookup<string>> _txt = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset _started = time.GetUtcNow();
    private bool _answered;
    private int _failuresInARow;
    private string? _down = inner is null ? $"{Unavailable}: no resolver" : null;

    /// <summary>Why DNS is taken to be down for this batch, or null.</summary>
    public string? Down
    {
        get
        {
            lock (_lock)
            {
                Renew();
                return _down;
            }
        }
    }

    public async Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct)
    {
        lock (_lock)
        {
            Renew();
            if (_down is not null)
                return DnsLookup<string>.TempError(_down);
            if (_txt.TryGetValue(name, out var known))
                return known;
        }
        var lookup = await inner!.TxtAsync(name, ct);
        lock (_lock)
        {
            if (lookup.Outcome == DnsOutcome.TempError)
            {
                _failuresInARow++;
                if (!_answered || _failuresInARow >= 2)
                    _down = $"{Unavailable}: {lookup.Error ?? "no answer"}";
            }
            else
            {
                _answered = true;
                _failuresInARow = 0;
            }
            _txt[name] = lookup;
        }
        return lookup;
    }

    public Task<DnsLookup<IPAddress>> AAsync(string name, CancellationToken ct) => Pass(r => r.AAsync(name, ct));

    public Task<DnsLookup<IPAddress>> AaaaAsync(string name, CancellationToken ct) => Pass(r => r.AaaaAsync(name, ct));

    public Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct) => Pass(r => r.MxAsync(name, ct));

    public Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct) => Pass(r => r.PtrAsync(address, ct));

    /// <summary>DKIM and DMARC discovery ask only TXT; the rest goes straight through unless DNS is down.</summary>
    private Task<DnsLookup<T>> Pass<T>(Func<IDnsResolver, Task<DnsLookup<T>>> lookup) =>
        Down is { } down ? Task.FromResult(DnsLookup<T>.TempError(down)) : lookup(inner!);

    /// <summary>A new batch once the old one is <see cref="Lifetime"/> old: keys change, and DNS comes back.</summary>
    private void Renew()
    {
        if (inner is null || time.GetUtcNow() - _started < Lifetime)
            return;
        _started = time.GetUtcNow();
        _txt.Clear();
        _answered = false;
        _failuresInARow = 0;
        _down = null;
    }
}
