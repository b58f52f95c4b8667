using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>
/// Ed25519 (RFC 8032 §5.1) through BouncyCastle, which MimeKit brings anyway; it passes RFC 8032 §7.1 and every
/// Wycheproof case (non-canonical S and R, small-order keys refused), Ed25519Tests.
/// </summary>
internal static class Ed25519
{
    public const int KeySize = 32;
    public const int SignatureSize = 64;

    /// <summary>RFC 8032 §5.1.7. Malformed keys or signatures verify as false.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != KeySize || signature.Length != SignatureSize)
            return false;
        var verifier = new Ed25519Signer();
        verifier.Init(false, new Ed25519PublicKeyParameters(publicKey));
        verifier.BlockUpdate(message);
        return verifier.VerifySignature(signature.ToArray());
    }

    /// <summary>RFC 8032 §5.1.5: the public key of a 32-byte secret seed.</summary>
    public static byte[] PublicKey(ReadOnlySpan<byte> seed) =>
        PrivateKey(seed).GeneratePublicKey().GetEncoded();

    /// <summary>RFC 8032 §5.1.6.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, PrivateKey(seed));
        signer.BlockUpdate(message);
        return signer.GenerateSignature();
    }

    private static Ed25519PrivateKeyParameters PrivateKey(ReadOnlySpan<byte> seed) =>
        seed.Length == KeySize
            ? new Ed25519PrivateKeyParameters(seed)
            : throw new ArgumentException($"an Ed25519 secret key is {KeySize} bytes, not {seed.Length}", nameof(seed));
}
