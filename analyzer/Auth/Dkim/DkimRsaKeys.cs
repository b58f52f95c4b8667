using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>
/// RSA public keys of key records, imported once for the whole process: importing a key through OpenSSL 3 (its
/// decoders) cost several times the verification itself, once per signature per message (bench/README.md, issue 25).
/// The key's bytes are the cache key, so a changed record is simply a new entry.
/// </summary>
internal static class DkimRsaKeys
{
    /// <summary>Keys held at once; a flood of new keys only empties the cache.</summary>
    private const int MaxKeys = 10_000;

    private static readonly ConcurrentDictionary<string, DkimRsaKey> Imported = new(StringComparer.Ordinal);

    /// <summary>The record's RSA key; null when its p= is not one (that answer is not kept).</summary>
    public static DkimRsaKey? Get(DkimKeyRecord record)
    {
        var id = Convert.ToBase64String(record.PublicKey);
        if (Imported.TryGetValue(id, out var known))
            return known;
        if (record.ImportRsaOrNull() is not { } rsa)
            return null;
        if (Imported.Count >= MaxKeys)
            Imported.Clear();
        // Two messages importing the same new key at once keep the first; the other's instance is let go.
        var fresh = new DkimRsaKey(rsa);
        var kept = Imported.GetOrAdd(id, fresh);
        if (!ReferenceEquals(kept, fresh))
            rsa.Dispose();
        return kept;
    }
}

/// <summary>An imported RSA public key shared by every message that is signed with it.</summary>
internal sealed class DkimRsaKey(RSA rsa)
{
    /// <summary>One verification at a time per key: <see cref="RSA"/>'s instance members are not documented as thread-safe.</summary>
    private readonly Lock _verifying = new();

    public int KeySize { get; } = rsa.KeySize;

    public bool VerifyHash(byte[] hash, byte[] signature, HashAlgorithmName algorithm)
    {
        lock (_verifying)
            return rsa.VerifyHash(hash, signature, algorithm, RSASignaturePadding.Pkcs1);
    }
}
