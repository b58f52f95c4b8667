using System.Collections.Concurrent;
using DmarcAnalyzer.Dns;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace DmarcAnalyzer.Auth.Arc;

/// <summary>
/// ARC keys are DKIM keys (RFC 8617 §4.1.3): the TXT record at selector._domainkey.domain (RFC 6376 §3.6.2), read
/// through our resolver. A key that is absent, revoked (empty p=) or unusable is a permanent failure; a DNS temporary
/// error is remembered by name so that the chain's result can be temperror rather than fail (RFC 6376 §6.1.2): the
/// MimeKit verifier turns every exception from the locator into a plain failure. One instance per message.
/// </summary>
internal sealed class ArcKeyLocator(IDnsResolver dns) : DkimPublicKeyLocatorBase
{
    /// <summary>Parsed keys shared by every message, most held at once (a flood of new keys only empties it).</summary>
    private const int MaxParsedKeys = 10_000;

    /// <summary>
    /// Parsed keys by their record's text, for the whole process: BouncyCastle 2.7.0 runs a primality test on every
    /// RSA key it builds, which per signature per message made ARC the bulk of a message's CPU (bench/README.md,
    /// issue 16). A key record's text is the key, so a changed record is simply a new entry.
    /// </summary>
    private static readonly ConcurrentDictionary<string, AsymmetricKeyParameter> Parsed = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, string> _temporary = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Why the key of <paramref name="selector"/> at <paramref name="domain"/> could not be looked up now; null when it could.</summary>
    public string? TemporaryError(string domain, string selector) => _temporary.GetValueOrDefault(KeyName(domain, selector));

    /// <summary>MimeKit's verifier is called asynchronously only; a blocking DNS wait has no place in the milter.</summary>
    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("ARC keys are looked up asynchronously");

    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        // RFC 6376 §3.5 q=: dns/txt is the only method defined.
        if (!methods.Split(':').Any(m => m.Trim().Equals("dns/txt", StringComparison.OrdinalIgnoreCase)))
            throw new ArcKeyException($"no supported key query method in q={methods}");
        var name = KeyName(domain, selector);
        var lookup = await dns.TxtAsync(name, cancellationToken);
        switch (lookup.Outcome)
        {
            case DnsOutcome.TempError:
                _temporary[name] = $"key {name}: {lookup.Error ?? "DNS temporary error"}";
                throw new ArcKeyException(_temporary[name]);
            case DnsOutcome.NxDomain or DnsOutcome.NoData:
                throw new ArcKeyException($"no key at {name}");
        }
        string? problem = null;
        foreach (var record in lookup.Records)
        {
            if (ArcKeyRecord.Parse(record, out problem) is { } key)
                return Parse(key);
        }
        throw new ArcKeyException($"key {name}: {problem}");
    }

    private AsymmetricKeyParameter Parse(string key)
    {
        if (Parsed.TryGetValue(key, out var parsed))
            return parsed;
        if (Parsed.Count >= MaxParsedKeys)
            Parsed.Clear();
        return Parsed[key] = GetPublicKey(key);
    }

    private static string KeyName(string domain, string selector) => $"{selector}._domainkey.{domain.TrimEnd('.')}";
}

/// <summary>A key that cannot be had: absent, revoked, malformed, or (recorded by the locator) a DNS temporary error.</summary>
internal sealed class ArcKeyException(string message) : Exception(message);
