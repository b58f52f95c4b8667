using DmarcAnalyzer.Auth.Arc;

namespace DmarcAnalyzer.Filter;

/// <summary>The <c>Filter:Arc</c> section: whose ARC seals vouch for forwarded mail, and our own seal.</summary>
internal sealed class ArcOptions
{
    /// <summary>
    /// Sealers (ARC-Seal d= domains; <c>.example.org</c> with subdomains) trusted to say what authentication looked
    /// like before they forwarded: a DMARC-failing message whose passing chain such a sealer closed, and whose ARC
    /// results say DMARC (or aligned SPF or DKIM) passed there, counts as forwarded.
    /// </summary>
    public List<string> TrustedSealers { get; init; } = [];

    /// <summary>When set, an ARC set over our Authentication-Results is added to every message we deliver.</summary>
    public ArcSealOptions? Seal { get; init; }
}

/// <summary>The <c>Filter:Arc:Seal</c> section: who seals and with which key.</summary>
internal sealed class ArcSealOptions
{
    public string Domain { get; init; } = "";

    public string Selector { get; init; } = "";

    /// <summary>A PEM private key: PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY"), RSA or Ed25519.</summary>
    public string KeyFile { get; init; } = "";

    /// <summary><c>rsa-sha256</c> or <c>ed25519-sha256</c> (RFC 8301, RFC 8463).</summary>
    public string Algorithm { get; init; } = "rsa-sha256";

    /// <summary>The key, read when the configuration was (at start and on SIGHUP); null until <see cref="Load"/>.</summary>
    internal ArcSealKey? Key { get; private set; }

    /// <summary>Reads the key; throws <see cref="InvalidOperationException"/> saying what is wrong.</summary>
    public void Load() => Key = ArcSealKey.Read(Domain, Selector, KeyFile, Algorithm);
}
