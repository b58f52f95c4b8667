using System.Security.Cryptography;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>A private key for signing: RSA (rsa-sha256) or an Ed25519 seed (ed25519-sha256, RFC 8463).</summary>
internal sealed class DkimSigningKey : IDisposable
{
    private readonly RSA? _rsa;
    private readonly byte[]? _seed;

    private DkimSigningKey(RSA? rsa, byte[]? seed)
    {
        _rsa = rsa;
        _seed = seed;
    }

    public string Algorithm => _rsa is null ? DkimSignature.Ed25519Sha256 : DkimSignature.RsaSha256;

    /// <summary>Takes ownership of <paramref name="rsa"/>. RFC 8301 §3.2: signers MUST use at least 1024 bits.</summary>
    public static DkimSigningKey Rsa(RSA rsa) =>
        rsa.KeySize < 1024
            ? throw new ArgumentException($"RSA key of {rsa.KeySize} bits is under 1024 (RFC 8301)", nameof(rsa))
            : new DkimSigningKey(rsa, null);

    public static DkimSigningKey Ed25519(byte[] seed) =>
        seed.Length == Dkim.Ed25519.KeySize
            ? new DkimSigningKey(null, seed.ToArray())
            : throw new ArgumentException($"an Ed25519 seed is {Dkim.Ed25519.KeySize} bytes", nameof(seed));

    /// <summary>An RSA key in PEM (PKCS#1 or PKCS#8), or an Ed25519 seed as base64 (as dknewkey writes it).</summary>
    public static DkimSigningKey Parse(string text)
    {
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(text);
            return Rsa(rsa);
        }
        return Ed25519(Convert.FromBase64String(text.Trim()));
    }

    /// <summary>The key record to publish at <c>selector._domainkey.domain</c> (RFC 6376 §3.6.1, RFC 8463 §4).</summary>
    public string PublicKeyRecord() => _rsa is not null
        ? $"v=DKIM1; k=rsa; p={Convert.ToBase64String(_rsa.ExportSubjectPublicKeyInfo())}"
        : $"v=DKIM1; k=ed25519; p={Convert.ToBase64String(Dkim.Ed25519.PublicKey(_seed))}";

    /// <summary>Signs the SHA-256 hash of the header data (RFC 6376 §3.7, RFC 8463 §3).</summary>
    public byte[] SignHash(byte[] sha256) => _rsa is not null
        ? _rsa.SignHash(sha256, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
        : Dkim.Ed25519.Sign(_seed, sha256);

    public void Dispose() => _rsa?.Dispose();
}
