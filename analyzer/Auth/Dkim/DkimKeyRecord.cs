using System.Security.Cryptography;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>A DKIM key record (RFC 6376 §3.6.1), from TXT at <c>selector._domainkey.domain</c>.</summary>
/// <param name="HashAlgorithms">The h= list (lower case); null when the record allows every hash.</param>
internal sealed record DkimKeyRecord(string KeyType, byte[] PublicKey, bool Testing, bool Strict, IReadOnlyList<string>? HashAlgorithms = null)
{
    /// <summary>Parses a key record; a revoked key (empty p=) or a broken record throws <see cref="DkimFormatException"/>.</summary>
    public static DkimKeyRecord Parse(string text)
    {
        var tags = DkimTagList.Parse(text);
        // §3.6.1 v=: when present it must be first and be DKIM1.
        if (tags["v"] is { } v && (v != "DKIM1" || tags.Order[0] != "v"))
            throw new DkimFormatException($"key record v={v} is not DKIM1 in first place");
        var hashes = tags["h"] is { } h ? Colons(h).Select(a => a.ToLowerInvariant()).ToList() : null;
        var keyType = (tags["k"] ?? "rsa").ToLowerInvariant();
        if (keyType is not ("rsa" or "ed25519"))
            throw new DkimFormatException($"unknown key type k={keyType}");
        if (tags["s"] is { } s && !Colons(s).Any(t => t == "*" || t.Equals("email", StringComparison.OrdinalIgnoreCase)))
            throw new DkimFormatException($"key service type s={s} excludes email");
        var p = tags["p"] ?? throw new DkimFormatException("key record has no p=");
        p = DkimTagList.WithoutWhitespace(p);
        if (p.Length == 0)
            throw new DkimFormatException("key revoked (empty p=)");
        byte[] key;
        try
        {
            key = Convert.FromBase64String(p);
        }
        catch (FormatException)
        {
            throw new DkimFormatException("p= is not valid base64");
        }
        var flags = tags["t"] is { } t ? Colons(t) : [];
        return new DkimKeyRecord(keyType, key, flags.Contains("y"), flags.Contains("s"), hashes);
    }

    /// <summary>The RSA public key: SubjectPublicKeyInfo as §3.6.1 says, or the bare RSAPublicKey some publish; null when neither.</summary>
    public RSA? ImportRsaOrNull()
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportSubjectPublicKeyInfo(PublicKey, out _);
            return rsa;
        }
        catch (CryptographicException)
        {
        }
        try
        {
            rsa.ImportRSAPublicKey(PublicKey, out _);
            return rsa;
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            return null;
        }
    }

    private static string[] Colons(string value) =>
        value.Split(':').Select(DkimTagList.WithoutWhitespace).ToArray();
}
