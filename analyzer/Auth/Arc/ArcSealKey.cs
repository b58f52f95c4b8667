using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;

namespace DmarcAnalyzer.Auth.Arc;

/// <summary>Our ARC sealing identity: the d= and s= to publish the key under, the private key and its algorithm.</summary>
internal sealed record ArcSealKey(string Domain, string Selector, AsymmetricKeyParameter PrivateKey, DkimSignatureAlgorithm Algorithm)
{
    private const string Where = "Filter:Arc:Seal";

    /// <summary>
    /// Reads a PEM private key (PKCS#1 or PKCS#8) and checks it fits the algorithm (RFC 8301: RSA of 1024 bits at
    /// least; RFC 8463: Ed25519). Every problem is an <see cref="InvalidOperationException"/> naming the setting.
    /// </summary>
    public static ArcSealKey Read(string domain, string selector, string keyFile, string algorithm)
    {
        if (domain.Length == 0 || selector.Length == 0 || keyFile.Length == 0)
            throw new InvalidOperationException($"{Where} needs Domain, Selector and KeyFile");
        var wanted = algorithm.ToLowerInvariant() switch
        {
            "rsa-sha256" => DkimSignatureAlgorithm.RsaSha256,
            "ed25519-sha256" => DkimSignatureAlgorithm.Ed25519Sha256,
            _ => throw new InvalidOperationException($"{Where}:Algorithm {algorithm}: rsa-sha256 or ed25519-sha256"),
        };
        object? pem;
        try
        {
            using var reader = new PemReader(File.OpenText(keyFile));
            pem = reader.ReadObject();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PemException or ArgumentException or InvalidCastException)
        {
            throw new InvalidOperationException($"{Where}:KeyFile {keyFile} cannot be read: {e.Message}", e);
        }
        var key = pem switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter { IsPrivate: true } single => single,
            _ => throw new InvalidOperationException($"{Where}:KeyFile {keyFile} holds no PEM private key (PKCS#1 or PKCS#8)"),
        };
        var fits = (wanted, key) switch
        {
            (DkimSignatureAlgorithm.RsaSha256, RsaKeyParameters rsa) when rsa.Modulus.BitLength < 1024 =>
                throw new InvalidOperationException($"{Where}:KeyFile {keyFile}: an RSA key of {rsa.Modulus.BitLength} bits; RFC 8301 asks for 1024 at least"),
            (DkimSignatureAlgorithm.RsaSha256, RsaKeyParameters) => true,
            (DkimSignatureAlgorithm.Ed25519Sha256, Ed25519PrivateKeyParameters) => true,
            _ => false,
        };
        if (!fits)
            throw new InvalidOperationException($"{Where}:KeyFile {keyFile} is not a key for {algorithm}");
        return new ArcSealKey(domain, selector, key, wanted);
    }
}
