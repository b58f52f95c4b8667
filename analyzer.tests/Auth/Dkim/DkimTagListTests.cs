using DmarcAnalyzer.Auth.Dkim;

namespace DmarcAnalyzer.Tests.Auth.Dkim;

public sealed class DkimTagListTests
{
    [Fact]
    public void ParsesWithFoldingWhitespaceAndTrailingSemicolon()
    {
        var tags = DkimTagList.Parse(" v=1;\r\n\ta = rsa-sha256 ; b=ab\r\n cd;");
        Assert.Equal("1", tags["v"]);
        Assert.Equal("rsa-sha256", tags["a"]);
        Assert.Equal("abcd", DkimTagList.WithoutWhitespace(tags["b"]!));
        Assert.Equal(["v", "a", "b"], tags.Order);
    }

    [Theory]
    [InlineData("v=1; v=1", "duplicate tag 'v'")]
    [InlineData("v=1;; a=b", "empty tag-spec")]
    [InlineData("1v=1", "invalid tag name")]
    [InlineData("v", "without '='")]
    public void RejectsMalformedLists(string text, string error)
    {
        var e = Assert.Throws<DkimFormatException>(() => DkimTagList.Parse(text));
        Assert.Contains(error, e.Message);
    }
}

public sealed class DkimSignatureTests
{
    private const string Valid = "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=AAAA; b=AAAA";

    [Fact]
    public void Defaults()
    {
        var s = DkimSignature.Parse(Valid);
        Assert.Equal(DkimCanonicalization.Simple, s.HeaderCanonicalization);
        Assert.Equal(DkimCanonicalization.Simple, s.BodyCanonicalization);
        Assert.Equal("@example.com", s.Identity);
        Assert.Null(s.BodyLength);
    }

    [Theory]
    [InlineData("a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", "missing required tag v=")]
    [InlineData("v=2; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", "unsupported version")]
    [InlineData("v=1; a=rsa-md5; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", "unknown algorithm")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; bh=AAAA; b=AAAA", "does not include From")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; i=joe@example.net", "not within d=")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; i=joe@badexample.com", "not within d=")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; t=200; x=100", "x= is earlier than t=")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=A!AA", "b= is not valid base64")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; c=fancy/simple", "unknown canonicalization")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; q=http/x", "no supported query method")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; l=-5", "invalid l=")]
    public void RejectsWhatSection611Rejects(string value, string error)
    {
        var e = Assert.Throws<DkimFormatException>(() => DkimSignature.Parse(value));
        Assert.Contains(error, e.Message);
    }

    [Fact]
    public void IdentityInSubdomainAndQuotedPrintable()
    {
        var s = DkimSignature.Parse(Valid + "; i=j=3Doe@mail.Example.com; c=relaxed");
        Assert.Equal("j=oe@mail.Example.com", s.Identity);
        Assert.Equal(DkimCanonicalization.Relaxed, s.HeaderCanonicalization);
        Assert.Equal(DkimCanonicalization.Simple, s.BodyCanonicalization);
    }

    [Fact]
    public void RemovesOnlyTheSignatureValue()
    {
        var raw = "DKIM-Signature: v=1; bh=xyz;\r\n b=abc\r\n\tdef; d=x";
        Assert.Equal("DKIM-Signature: v=1; bh=xyz;\r\n b=; d=x", DkimSignature.WithoutSignatureValue(raw));
    }
}

public sealed class DkimKeyRecordTests
{
    [Theory]
    [InlineData("v=DKIM1; k=rsa; p=", "revoked")]
    [InlineData("k=rsa; v=DKIM1; p=AAAA", "DKIM1 in first place")]
    [InlineData("v=DKIM2; p=AAAA", "DKIM1 in first place")]
    [InlineData("v=DKIM1; k=dsa; p=AAAA", "unknown key type")]
    [InlineData("v=DKIM1; s=chat; p=AAAA", "excludes email")]
    [InlineData("v=DKIM1; k=rsa", "no p=")]
    public void RejectsBadRecords(string text, string error)
    {
        var e = Assert.Throws<DkimFormatException>(() => DkimKeyRecord.Parse(text));
        Assert.Contains(error, e.Message);
    }

    [Fact]
    public void ReadsFlags()
    {
        var key = DkimKeyRecord.Parse("v=DKIM1; k=ed25519; t=y:s; s=email:*; h=sha256; p=AAAA");
        Assert.Equal("ed25519", key.KeyType);
        Assert.True(key.Testing);
        Assert.True(key.Strict);
    }
}
