using DmarcAnalyzer.Auth.Dmarc;

namespace DmarcAnalyzer.Tests.Auth.Dmarc;

public sealed class DmarcRecordTests
{
    [Fact]
    public void ParsesEveryTag()
    {
        var r = DmarcRecord.Parse("v=DMARC1; p=Reject; sp=quarantine; np=none; psd=n; t=y; adkim=s; aspf=r; " +
                                  "rua=mailto:a@example.com,mailto:b@example.net!10m; ruf=mailto:f@example.com; fo=1");
        Assert.Equal((DmarcPolicy.Reject, DmarcPolicy.Quarantine, DmarcPolicy.None, 'n', true, true, false), (r.Policy, r.SubdomainPolicy, r.NonExistentPolicy, r.Psd, r.Testing, r.StrictDkim, r.StrictSpf));
        Assert.Equal(["mailto:a@example.com", "mailto:b@example.net"], r.AggregateUris);
        Assert.Contains(r.Warnings, w => w.Contains("obsolete"));
    }

    [Theory]
    [InlineData("v=DMARC1; p=none", true)]
    [InlineData("v = DMARC1 ;p=none", true)]
    [InlineData("v=DMARC2; p=none", false)]
    [InlineData("p=none; v=DMARC1", false)]
    [InlineData("v=spf1 -all", false)]
    public void RecognisesRecords(string text, bool dmarc) => Assert.Equal(dmarc, DmarcRecord.IsDmarc(text));

    [Theory]
    [InlineData("v=DMARC1", "no p= tag")]
    [InlineData("v=DMARC1; p=block", "p=block is not none")]
    [InlineData("v=DMARC1; p=none; pct=20", "pct was removed")]
    [InlineData("v=DMARC1; p=none; pct=200", "pct=200 is not 0 to 100")]
    [InlineData("v=DMARC1; p=none; rua=https://example.com/r", "is not a mailto: URI")]
    [InlineData("v=DMARC1; p=none; adkim=x", "adkim=x is not r or s")]
    [InlineData("v=DMARC1; p=none; ri=3600", "ri was removed")]
    public void WarnsAboutBadOrOldTags(string text, string warning) =>
        Assert.Contains(DmarcRecord.Parse(text).Warnings, w => w.Contains(warning));
}
