using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Tests.Auth.Arc;
using DmarcAnalyzer.Tests.Dns;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>
/// The authenticating Postfix with DMARC enforced and one trusted ARC sealer, <see cref="Forwarder"/>.
/// <see cref="Stranger"/> publishes the same sealing key, so its chains validate too, but it is not trusted.
/// </summary>
public sealed class ArcPostfixFixture : AuthenticatingPostfixFixture
{
    public const string Forwarder = "lists.example.org";
    public const string Stranger = "forwarder.example.net";
    public const string Selector = "arc";

    private readonly (string Pem, string Record) _key = ArcTestChains.RsaKey(2048);

    /// <summary>The sealers' private key, PKCS#1 PEM.</summary>
    public string SealerKey => _key.Pem;

    private protected override FilterOptions Options() => new()
    {
        SubmissionListeners = ["submission"],
        Authentication = new AuthenticationOptions { OnDnsError = DnsErrorAction.Tempfail, EnforceDmarc = true },
        Arc = new ArcOptions { TrustedSealers = [Forwarder] },
    };

    private protected override void AddRecords(TestZone zone) =>
        zone.Txt($"{Selector}._domainkey.{Forwarder}", _key.Record).Txt($"{Selector}._domainkey.{Stranger}", _key.Record);
}
