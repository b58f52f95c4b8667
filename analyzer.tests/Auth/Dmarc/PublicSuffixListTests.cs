using DmarcAnalyzer.Auth.Dmarc;

namespace DmarcAnalyzer.Tests.Auth.Dmarc;

public sealed class PublicSuffixListTests
{
    private static readonly PublicSuffixList Sample = PublicSuffixList.Parse(
    [
        "// comment", "com", "uk", "co.uk", "jp", "kawasaki.jp", "*.kawasaki.jp", "!city.kawasaki.jp", "blogspot.com", "公司.cn", "cn",
    ]);

    [Theory]
    [InlineData("example.co.uk", "example.co.uk")]
    [InlineData("mail.example.co.uk", "example.co.uk")]
    [InlineData("co.uk", "co.uk")]
    [InlineData("www.city.kawasaki.jp", "city.kawasaki.jp")]
    [InlineData("city.kawasaki.jp", "city.kawasaki.jp")]
    [InlineData("a.foo.kawasaki.jp", "a.foo.kawasaki.jp")]
    [InlineData("b.a.foo.kawasaki.jp", "a.foo.kawasaki.jp")]
    [InlineData("x.blogspot.com", "x.blogspot.com")]
    [InlineData("mail.Example.COM", "example.com")]
    [InlineData("a.b.unlisted", "b.unlisted")]
    [InlineData("shop.xn--55qx5d.cn", "shop.xn--55qx5d.cn")]
    public void OrganizationalDomains(string domain, string organization) =>
        Assert.Equal(organization, Sample.OrganizationalDomain(domain));

    [Fact]
    public async Task MissingFileIsAClearError()
    {
        var e = await Assert.ThrowsAsync<PublicSuffixListMissingException>(
            () => PublicSuffixList.LoadAsync("/nonexistent/public_suffix_list.dat", CancellationToken.None));
        Assert.Contains("install Debian's publicsuffix package", e.Message);
    }

    [Fact]
    public async Task DebianListLoads()
    {
        if (!File.Exists(PublicSuffixList.DebianPath))
            Assert.Fail($"{PublicSuffixList.DebianPath} is missing: apt-get install publicsuffix (test.sh does)");
        var list = await PublicSuffixList.LoadAsync(PublicSuffixList.DebianPath, CancellationToken.None);
        Assert.Equal("example.co.uk", list.OrganizationalDomain("www.example.co.uk"));
        Assert.Equal("city.kawasaki.jp", list.OrganizationalDomain("www.city.kawasaki.jp"));
        Assert.Equal("example.com", list.OrganizationalDomain("a.b.example.com"));
    }

    [Fact]
    public async Task PslModeDisagreesWithTheTreeWalkWhereRecordsSayOtherwise()
    {
        var dns = new FakeDnsResolver()
            .Txt("_dmarc.sub.example.com", "v=DMARC1; p=reject")
            .Txt("_dmarc.blogspot.com", "v=DMARC1; p=reject");
        var ct = CancellationToken.None;
        var walk = new DmarcDiscovery(dns, DmarcDiscoveryMode.TreeWalk);
        var psl = new DmarcDiscovery(dns, DmarcDiscoveryMode.PublicSuffixList, Sample);
        Assert.Equal("sub.example.com", await walk.OrganizationalDomainAsync("a.sub.example.com", ct));
        Assert.Equal("example.com", await psl.OrganizationalDomainAsync("a.sub.example.com", ct));
        Assert.Equal("blogspot.com", await walk.OrganizationalDomainAsync("x.blogspot.com", ct));
        Assert.Equal("x.blogspot.com", await psl.OrganizationalDomainAsync("x.blogspot.com", ct));
        // RFC 7489 discovery looks at the domain and its organisational domain only.
        Assert.Null((await psl.FindPolicyAsync("x.blogspot.com", ct)).Record);
        Assert.Equal("blogspot.com", (await walk.FindPolicyAsync("x.blogspot.com", ct)).RecordDomain);
    }
}
