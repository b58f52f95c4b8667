using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Tests.Auth.Dkim;
using DmarcAnalyzer.Tests.Dns;
using DmarcAnalyzer.Tests.Milter;
using DmarcAnalyzer.Auth;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>
/// The private Postfix with SPF, DKIM and DMARC switched on. "Public" DNS is a loopback DNS server; a local zone file
/// answers first and gives SPF to <see cref="NoSpfPartner"/>, which publishes none. DMARC queries for
/// <see cref="SlowDomain"/> never get an answer; DNS trouble is configured to tempfail.
/// </summary>
public class AuthenticatingPostfixFixture : PostfixFixture
{
    public const string AuthservId = "mx.test.example";
    public const string Signer = "signed.example";
    public const string Victim = "victim.example";
    public const string NoSpfPartner = "nospf.example";
    public const string SlowDomain = "slow.example";

    private LoopbackDnsServer? _dns;

    private protected override FilterOptions Options() => new()
    {
        SubmissionListeners = ["submission"],
        Authentication = new AuthenticationOptions { OnDnsError = DnsErrorAction.Tempfail },
    };

    /// <summary>Records a subclass adds to the "public" zone.</summary>
    private protected virtual void AddRecords(TestZone zone)
    {
    }

    private protected override async Task<MessageAuthenticator?> AuthenticatorAsync()
    {
        using var key = DkimTestMessages.Key(DkimSignature.Ed25519Sha256);
        var zone = new TestZone()
            .Txt(Signer, "v=spf1 ip4:127.0.0.1 -all")
            .Txt($"sel._domainkey.{Signer}", key.PublicKeyRecord())
            .Txt($"_dmarc.{Signer}", "v=DMARC1; p=reject")
            .Txt(Victim, "v=spf1 ip4:192.0.2.1 -all")
            .Txt($"_dmarc.{Victim}", "v=DMARC1; p=reject")
            .Txt($"_dmarc.{NoSpfPartner}", "v=DMARC1; p=quarantine")
            .Txt(SlowDomain, "v=spf1 ip4:127.0.0.1 -all");
        zone[$"_dmarc.{SlowDomain}"].TimesOut = true;
        AddRecords(zone);
        _dns = new LoopbackDnsServer(zone);
        var localZone = Path.Combine(Root, "partners.zone");
        await File.WriteAllTextAsync(localZone, $"{NoSpfPartner}. IN TXT \"v=spf1 ip4:127.0.0.1 -all\"\n");
        var options = new DnsOptions([_dns.EndPoint], [localZone], Offline: false, TimeSpan.FromMilliseconds(500), Retries: 0);
        var resolver = await DnsResolverFactory.CreateAsync(options, CancellationToken.None, new DnsCache(1000, TimeProvider.System));
        return new MessageAuthenticator(resolver, AuthservId);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_dns is not null)
            await _dns.DisposeAsync();
    }
}
