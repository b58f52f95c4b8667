using System.Net;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// The DNS that verifying report mail asks, for one batch (<see cref="Lifetime"/>: a run of <c>dmarc ingest</c>, or
/// one poll of a mailbox): TXT answers are kept, so the same reporter's key is asked once, and when DNS is down the
/// batch waits for it once, not once per message. Whether DNS is down is decided by a question of our own
/// (<see cref="ReportAcceptance.HealthProbe"/>) put when a lookup fails, never by the senders' names: the signer chooses
/// those, and a lame zone of its own (however many mails in a row) must not switch verification off for everyone
/// else's reports. A lookup that fails while the probe is answered is that report's own "DNS unavailable".
/// </summary>
internal sealed class BatchDns(IDnsResolver? inner, string healthProbe, TimeProvider time) : IDnsResolver
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private const string Unavailable = "DNS unavailable";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, DnsLookup<string>> _txt = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset _started = time.GetUtcNow();
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
        var down = lookup.Outcome == DnsOutcome.TempError ? await ProbeAsync(ct) : null;
        lock (_lock)
        {
            if (down is not null)
                _down ??= $"{Unavailable}: {down}";
            _txt[name] = lookup;
        }
        return lookup;
    }

    public Task<DnsLookup<IPAddress>> AAsync(string name, CancellationToken ct) => Pass(r => r.AAsync(name, ct));

    public Task<DnsLookup<IPAddress>> AaaaAsync(string name, CancellationToken ct) => Pass(r => r.AaaaAsync(name, ct));

    public Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct) => Pass(r => r.MxAsync(name, ct));

    public Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct) => Pass(r => r.PtrAsync(address, ct));

    /// <summary>
    /// Null when the servers answer the probe's A question (any answer: NXDOMAIN too), else why not. The production
    /// resolver is asked past its cache, which would otherwise keep saying yes for a day after the first answer.
    /// </summary>
    private async Task<string?> ProbeAsync(CancellationToken ct)
    {
        if (inner is DnsResolver live)
            return await live.ProbeAsync(healthProbe, DnsType.A, ct);
        var probe = await inner!.AAsync(healthProbe, ct);
        return probe.Outcome == DnsOutcome.TempError ? probe.Error ?? "no answer" : null;
    }

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
        _down = null;
    }
}
