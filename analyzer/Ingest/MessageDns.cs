using System.Net;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// The DNS one report mail's verification asks: after its first lookup that fails, the rest of this mail's lookups
/// fail at once, so that a mail with many signatures of lame zones (the signer chooses the names) costs one timeout,
/// not one per signature.
/// </summary>
internal sealed class MessageDns(IDnsResolver batch) : IDnsResolver
{
    private string? _failed;

    public async Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct)
    {
        if (_failed is not null)
            return DnsLookup<string>.TempError(_failed);
        var lookup = await batch.TxtAsync(name, ct);
        if (lookup.Outcome == DnsOutcome.TempError)
            _failed = lookup.Error ?? "DNS unavailable";
        return lookup;
    }

    public Task<DnsLookup<IPAddress>> AAsync(string name, CancellationToken ct) => batch.AAsync(name, ct);

    public Task<DnsLookup<IPAddress>> AaaaAsync(string name, CancellationToken ct) => batch.AaaaAsync(name, ct);

    public Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct) => batch.MxAsync(name, ct);

    public Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct) => batch.PtrAsync(address, ct);
}
