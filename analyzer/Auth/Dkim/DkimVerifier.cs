using System.Security.Cryptography;
using System.Text;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>
/// Verifies every DKIM-Signature of a message (RFC 6376 §6, RFC 8301, RFC 8463), each with its own result.
/// The header block is read once, then the body streams through one hasher per signature.
/// </summary>
// Kept over MimeKit 4.18.2 (DkimDifferentialTests): one bool per signature, x=, q= and key t=/h= unchecked, key errors as fail, whole message parsed.
internal sealed class DkimVerifier(IDnsResolver dns, TimeProvider? time = null)
{
    /// <summary>Signatures beyond this many are reported as permerror unverified, so a message cannot make us do unbounded work.</summary>
    public const int MaxSignatures = 16;

    private const int MinRsaBits = 1024;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>One result per DKIM-Signature field, top to bottom; an empty list when there is none.</summary>
    public async Task<IReadOnlyList<DkimResult>> VerifyAsync(Stream message, CancellationToken ct) =>
        await VerifyAsync(await RawMessageReader.ReadHeaderAsync(message, ct), ct);

    /// <summary>As above, for a caller that has read the header block itself (to find From, say); the body is read here.</summary>
    public async Task<IReadOnlyList<DkimResult>> VerifyAsync(RawMessageReader reader, CancellationToken ct)
    {
        using var verification = Begin(reader.Fields);
        if (verification.NeedsBody)
            await reader.ReadBodyAsync((chunk, count) => verification.AppendBody(chunk.AsSpan(0, count)), ct);
        return await verification.CompleteAsync(ct);
    }

    /// <summary>
    /// Starts verifying a message whose header fields are known; the caller pushes the body as it arrives
    /// (a milter gets it in chunks) and then completes. Signatures are parsed here, keys fetched at completion.
    /// </summary>
    public DkimVerification Begin(IReadOnlyList<RawHeaderField> fields)
    {
        var pending = new List<PendingSignature>();
        var results = new DkimResult?[fields.Count(IsSignature)];
        var index = 0;
        foreach (var field in fields.Where(IsSignature))
        {
            var slot = index++;
            if (slot >= MaxSignatures)
            {
                results[slot] = new DkimResult(DkimResultCode.PermError, "", "", null, $"more than {MaxSignatures} signatures; not verified");
                continue;
            }
            DkimTagList? tags = null;
            try
            {
                tags = DkimTagList.Parse(field.Value);
                var signature = DkimSignature.Parse(tags);
                results[slot] = CheckUsable(signature);
                if (results[slot] is null)
                    pending.Add(new PendingSignature(slot, field, signature,
                        new DkimBodyHasher(signature.BodyCanonicalization, signature.BodyLength, signature.Hash)));
            }
            catch (DkimFormatException e)
            {
                results[slot] = new DkimResult(DkimResultCode.PermError, Clean(tags?["d"]), Clean(tags?["s"]),
                    HeaderB(tags?["b"]), e.Message);
            }
        }
        return new DkimVerification(this, fields, results, pending);
    }

    private static bool IsSignature(RawHeaderField f) => f.Name.Equals("DKIM-Signature", StringComparison.OrdinalIgnoreCase);

    private DkimResult? CheckUsable(DkimSignature s)
    {
        // RFC 6376 §6.1.1: an expired signature is ignored (permerror).
        if (s.Expiration is { } x && x < _time.GetUtcNow())
            return Result(s, DkimResultCode.PermError, $"signature expired at {x:u}");
        return null;
    }

    internal async Task<DkimResult> VerifyOneAsync(PendingSignature p, IReadOnlyList<RawHeaderField> fields, CancellationToken ct)
    {
        var s = p.Signature;
        var (bodyHash, canonicalLength) = p.Body.Complete();
        long? unsigned = null;
        if (s.BodyLength is { } l)
        {
            if (l > canonicalLength)
                return Result(s, DkimResultCode.PermError, $"l={l} is longer than the body ({canonicalLength} canonical bytes)");
            unsigned = canonicalLength - l;
        }

        var keyName = $"{s.Selector}._domainkey.{s.Domain}";
        var lookup = await dns.TxtAsync(keyName, ct);
        DkimKeyRecord key;
        switch (lookup.Outcome)
        {
            case DnsOutcome.TempError:
                return Result(s, DkimResultCode.TempError, $"key lookup {keyName}: {lookup.Error ?? "DNS failure"}");
            case DnsOutcome.NxDomain or DnsOutcome.NoData:
                return Result(s, DkimResultCode.PermError, $"no key record at {keyName}");
        }
        try
        {
            // §3.6.2.2: several records are ambiguous; the first one is used.
            key = DkimKeyRecord.Parse(lookup.Records[0]);
        }
        catch (DkimFormatException e)
        {
            return Result(s, DkimResultCode.PermError, $"key {keyName}: {e.Message}");
        }

        if (key.HashAlgorithms is { } hashes && !hashes.Contains(s.HashName))
            return Result(s, DkimResultCode.PermError, $"key record h={string.Join(':', hashes)} excludes {s.HashName}");
        var expectedType = s.Algorithm == DkimSignature.Ed25519Sha256 ? "ed25519" : "rsa";
        if (key.KeyType != expectedType)
            return Result(s, DkimResultCode.PermError, $"key type k={key.KeyType} does not match a={s.Algorithm}");
        // §3.6.1 t=s: the i= domain must be d= itself, not a subdomain.
        if (key.Strict && !s.Identity.EndsWith("@" + s.Domain, StringComparison.OrdinalIgnoreCase))
            return Result(s, DkimResultCode.PermError, "key has t=s but i= is a subdomain of d=");

        var rsa = expectedType == "rsa" ? DkimRsaKeys.Get(key) : null;
        if (expectedType == "rsa" && rsa is null)
            return Result(s, DkimResultCode.PermError, "p= is not an RSA public key");
        if (expectedType == "ed25519" && key.PublicKey.Length != Ed25519.KeySize)
            return Result(s, DkimResultCode.PermError, $"Ed25519 key is {key.PublicKey.Length} bytes, not {Ed25519.KeySize}");

        // RFC 8301 §3.1 and §3.2: rsa-sha1 and RSA keys under 1024 bits MUST NOT be considered valid. The
        // signature is still checked so that the administrator learns whether it would have verified.
        string? refused = null;
        if (s.Algorithm == DkimSignature.RsaSha1)
            refused = "rsa-sha1 is not accepted (RFC 8301)";
        else if (rsa is not null && rsa.KeySize < MinRsaBits)
            refused = $"RSA key of {rsa.KeySize} bits is under {MinRsaBits} (RFC 8301)";

        string? failure = null;
        if (!CryptographicOperations.FixedTimeEquals(bodyHash, s.BodyHash))
        {
            failure = "body hash did not verify";
        }
        else
        {
            var headerHash = s.Hash == HashAlgorithmName.SHA1
                ? SHA1.HashData(HeaderData(p.Field, s, fields))
                : SHA256.HashData(HeaderData(p.Field, s, fields));
            // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the canonicalised header data.
            var verified = rsa is not null
                ? rsa.VerifyHash(headerHash, s.Signature, s.Hash)
                : Ed25519.Verify(key.PublicKey, headerHash, s.Signature);
            if (!verified)
                failure = "signature did not verify";
        }

        if (refused is not null)
            return Result(s, DkimResultCode.Policy, $"{refused}; otherwise {failure ?? "it verifies"}", unsigned, key.Testing);
        return failure is null
            ? Result(s, DkimResultCode.Pass, null, unsigned, key.Testing)
            : Result(s, DkimResultCode.Fail, failure, unsigned, key.Testing);
    }

    /// <summary>
    /// The header data of §3.7: each h= name picks the next unused instance from the bottom (§5.4.2); a name with
    /// no instance left contributes nothing (over-signing); then the signature field itself with b= emptied.
    /// </summary>
    internal static byte[] HeaderData(RawHeaderField signatureField, DkimSignature s, IReadOnlyList<RawHeaderField> fields)
    {
        var builder = new StringBuilder();
        var unused = new Dictionary<string, Stack<RawHeaderField>>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in fields)
        {
            if (!unused.TryGetValue(field.Name, out var instances))
                unused[field.Name] = instances = new Stack<RawHeaderField>();
            instances.Push(field);
        }
        foreach (var name in s.SignedHeaders)
        {
            if (unused.TryGetValue(name, out var instances) && instances.TryPop(out var instance))
                builder.Append(DkimHeaderCanonicalizer.Canonicalize(instance.Raw, s.HeaderCanonicalization));
        }
        builder.Append(DkimHeaderCanonicalizer.Canonicalize(
            DkimSignature.WithoutSignatureValue(signatureField.Raw), s.HeaderCanonicalization, withCrlf: false));
        return Encoding.Latin1.GetBytes(builder.ToString());
    }

    private static DkimResult Result(DkimSignature s, DkimResultCode result, string? reason, long? unsigned = null, bool testing = false) =>
        new(result, s.Domain, s.Selector, HeaderB(s.SignatureBase64), reason, s.BodyLength, unsigned, s.Identity, s.Algorithm, testing);

    private static string? HeaderB(string? b) =>
        b is null ? null : DkimTagList.WithoutWhitespace(b) is var clean && clean.Length > 8 ? clean[..8] : clean;

    private static string Clean(string? value) => value?.Trim().ToLowerInvariant() ?? "";
}
