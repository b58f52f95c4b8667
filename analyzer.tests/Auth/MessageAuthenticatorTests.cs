using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Tests.Auth.Dkim;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Tests.Auth;

public sealed class MessageAuthenticatorTests
{
    private static FakeDnsResolver Zone()
    {
        using var key = DkimTestMessages.Key(DkimSignature.Ed25519Sha256);
        return new FakeDnsResolver()
            .Txt("sel._domainkey.football.example.com", key.PublicKeyRecord())
            .Txt("_dmarc.football.example.com", "v=DMARC1; p=reject")
            .A("football.example.com");
    }

    [Fact]
    public async Task SignedMessagePassesDkimAndDmarc()
    {
        var signed = await DkimTestMessages.SignAsync(DkimTestMessages.Message, DkimSignature.Ed25519Sha256);
        var result = await new MessageAuthenticator(Zone(), "mx.test").AuthenticateAsync(DkimTestMessages.Stream(signed),
            new SpfOutcome(SpfResultCode.None, "", Comment: "not checked"), CancellationToken.None);
        Assert.Equal(DkimResultCode.Pass, Assert.Single(result.Dkim).Result);
        Assert.Equal((DmarcResultCode.Pass, "football.example.com"), (result.Dmarc.Result, result.Dmarc.FromDomain));
        var header = result.AuthenticationResults("mx.test");
        Assert.StartsWith("mx.test;\r\n\tspf=none (not checked);\r\n\tdkim=pass header.d=football.example.com header.s=sel header.b=", header);
        Assert.EndsWith("dmarc=pass (p=reject dis=none) header.from=football.example.com policy.dmarc=reject;\r\n\tarc=none", header);
    }

    [Fact]
    public async Task TamperedMessageFailsDmarcWithReject()
    {
        var signed = await DkimTestMessages.SignAsync(DkimTestMessages.Message, DkimSignature.Ed25519Sha256);
        var result = await new MessageAuthenticator(Zone(), "mx.test").AuthenticateAsync(DkimTestMessages.Stream(signed.Replace("Joe.", "Bob.")),
            new SpfOutcome(SpfResultCode.Fail, "football.example.com"), CancellationToken.None);
        Assert.Equal((DmarcResultCode.Fail, DmarcPolicy.Reject), (result.Dmarc.Result, result.Dmarc.Disposition));
    }
}
