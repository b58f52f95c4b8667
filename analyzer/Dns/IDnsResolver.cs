using System.Net;

namespace DmarcAnalyzer.Dns;

/// <summary>
/// What the authentication code asks of DNS. NXDOMAIN and NODATA are told apart (RFC 7208 §4.6.4
/// counts both as void lookups); SERVFAIL and timeouts are <see cref="DnsOutcome.TempError"/>, never "no record".
/// The seam lets tests answer from memory; production uses the stub resolver with its cache and zone files.
/// </summary>
internal interface IDnsResolver
{
    /// <summary>TXT records, each record's character-strings joined without separator (RFC 7208 §3.3).</summary>
    Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct);

    Task<DnsLookup<IPAddress>> AAsync(string name, CancellationToken ct);

    Task<DnsLookup<IPAddress>> AaaaAsync(string name, CancellationToken ct);

    Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct);

    Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct);
}

internal enum DnsOutcome
{
    Found,
    NxDomain,
    NoData,
    TempError,
}

internal sealed record DnsLookup<T>(DnsOutcome Outcome, IReadOnlyList<T> Records, string? Error = null)
{
    public static DnsLookup<T> Found(IReadOnlyList<T> records) =>
        records.Count == 0 ? new(DnsOutcome.NoData, []) : new(DnsOutcome.Found, records);

    public static readonly DnsLookup<T> NxDomain = new(DnsOutcome.NxDomain, []);
    public static readonly DnsLookup<T> NoData = new(DnsOutcome.NoData, []);

    public static DnsLookup<T> TempError(string why) => new(DnsOutcome.TempError, [], why);
}

internal sealed record MxRecord(ushort Preference, string Exchange);
