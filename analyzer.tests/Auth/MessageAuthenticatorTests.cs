using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Tests.Auth.Dkim;

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
        var result = await new MessageAuthenticator(Zone()).AuthenticateAsync(DkimTestMessages.Stream(signed),
            new SpfOutcome("none", "", Comment: "not checked"), CancellationToken.None);
        Assert.Equal(DkimResult.Pass, Assert.Single(result.Dkim).Result);
        Assert.Equal((DmarcResult.Pass, "football.example.com"), (result.Dmarc.Result, result.Dmarc.FromDomain));
        var header = result.AuthenticationResults("mx.test");
        Assert.StartsWith("mx.test;\r\n\tspf=none (not checked);\r\n\tdkim=pass header.d=football.example.com header.s=sel header.b=", header);
        Assert.EndsWith("dmarc=pass (p=reject dis=none) header.from=football.example.com policy.dmarc=reject;\r\n\tarc=none", header);
    }

    [Fact]
    public async Task TamperedMessageFailsDmarcWithReject()
    {
        var signed = await DkimTestMessages.SignAsync(DkimTestMessages.Message, DkimSignature.Ed25519Sha256);
        var result = await new MessageAuthenticator(Zone()).AuthenticateAsync(DkimTestMessages.Stream(signed.Replace("Joe.", "Bob.")),
            new SpfOutcome("fail", "football.example.com"), CancellationToken.None);
        Assert.Equal((DmarcResult.Fail, "reject"), (result.Dmarc.Result, result.Dmarc.Disposition));
    }
}
