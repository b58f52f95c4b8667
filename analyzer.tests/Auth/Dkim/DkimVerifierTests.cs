using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using static DmarcAnalyzer.Tests.Auth.Dkim.DkimTestMessages;

namespace DmarcAnalyzer.Tests.Auth.Dkim;

public sealed class DkimVerifierTests
{
    private const string Rsa = DkimSignature.RsaSha256;
    private const string Ed = DkimSignature.Ed25519Sha256;

    public static TheoryData<string, string, string> Matrix()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var a in new[] { Rsa, Ed })
            foreach (var h in new[] { "simple", "relaxed" })
                foreach (var b in new[] { "simple", "relaxed" })
                    data.Add(a, h, b);
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task OwnSignaturesVerify(string algorithm, string header, string body)
    {
        var signed = await SignAsync(Message, algorithm, new DkimSignerOptions(C(header), C(body)));
        var result = Assert.Single(await VerifyAsync(signed, KeyDns(algorithm)));
        Assert.Equal(DkimResultCode.Pass, result.Result);
        Assert.Equal("football.example.com", result.Domain);
        Assert.Equal("sel", result.Selector);
        Assert.Equal(8, result.HeaderB!.Length);
        Assert.Equal(algorithm, result.Algorithm);
    }

    private static DkimCanonicalization C(string name) => DkimHeaderCanonicalizer.Parse(name);

    [Fact]
    public async Task NoSignatureGivesNoResults() =>
        Assert.Empty(await VerifyAsync(Message, new FakeDnsResolver()));

    [Theory]
    [InlineData(Rsa)]
    [InlineData(Ed)]
    public async Task ChangedBodyFailsTheBodyHash(string algorithm)
    {
        var signed = await SignAsync(Message, algorithm);
        var result = Assert.Single(await VerifyAsync(signed.Replace("hungry", "angry"), KeyDns(algorithm)));
        Assert.Equal(DkimResultCode.Fail, result.Result);
        Assert.Equal("body hash did not verify", result.Reason);
    }

    [Theory]
    [InlineData(Rsa)]
    [InlineData(Ed)]
    public async Task ChangedSignedHeaderFails(string algorithm)
    {
        var signed = await SignAsync(Message, algorithm);
        var result = Assert.Single(await VerifyAsync(signed.Replace("Is dinner ready?", "Is lunch ready?"), KeyDns(algorithm)));
        Assert.Equal(DkimResultCode.Fail, result.Result);
        Assert.Equal("signature did not verify", result.Reason);
    }

    [Fact]
    public async Task CorruptedSignatureFails()
    {
        var signed = await SignAsync(Message, Rsa);
        var b = signed.IndexOf(" b=", StringComparison.Ordinal) + 3;
        var corrupted = signed[..b] + (signed[b] == 'A' ? 'B' : 'A') + signed[(b + 1)..];
        Assert.Equal(DkimResultCode.Fail, Assert.Single(await VerifyAsync(corrupted, KeyDns(Rsa))).Result);
    }

    [Theory]
    [InlineData("relaxed")]
    [InlineData("simple")]
    public async Task ReorderingDifferentHeadersKeepsThePass(string c)
    {
        var signed = await SignAsync(Message, Ed, new DkimSignerOptions(C(c), C(c)));
        var reordered = signed.Replace("To: Suzie Q <suzie@shopping.example.net>\r\nSubject: Is dinner ready?\r\n",
            "Subject: Is dinner ready?\r\nTo: Suzie Q <suzie@shopping.example.net>\r\n");
        Assert.NotEqual(signed, reordered);
        Assert.Equal(DkimResultCode.Pass, Assert.Single(await VerifyAsync(reordered, KeyDns(Ed))).Result);
    }

    [Theory]
    [InlineData("relaxed", "pass")]
    [InlineData("simple", "fail")]
    public async Task RefoldedHeaderWhitespace(string c, string expected)
    {
        var signed = await SignAsync(Message, Rsa, new DkimSignerOptions(C(c), C(c)));
        var refolded = signed.Replace("Subject: Is dinner ready?", "Subject:  Is dinner\r\n\t ready?  ");
        Assert.Equal(expected, Assert.Single(await VerifyAsync(refolded, KeyDns(Rsa))).Result.Word());
    }

    [Fact]
    public async Task RelaxedBodyToleratesWhitespaceAndTrailingLines()
    {
        var signed = await SignAsync(Message, Ed);
        var changed = signed.Replace("Are you hungry", "Are  you \t hungry") + "\r\n\r\n";
        Assert.Equal(DkimResultCode.Pass, Assert.Single(await VerifyAsync(changed, KeyDns(Ed))).Result);
    }

    [Fact]
    public async Task BareLineFeedsVerifyAsCrlf()
    {
        var signed = await SignAsync(Message, Rsa, new DkimSignerOptions(DkimCanonicalization.Simple, DkimCanonicalization.Simple));
        Assert.Equal(DkimResultCode.Pass, Assert.Single(await VerifyAsync(signed.Replace("\r\n", "\n"), KeyDns(Rsa))).Result);
    }

    [Fact]
    public async Task LengthLimitPassesWithAppendedTextAndReportsIt()
    {
        var bodyLength = 10;
        var signed = await SignAsync(Message, Rsa, new DkimSignerOptions(BodyLength: bodyLength));
        var appended = signed + "Click here for a prize!\r\n";
        var result = Assert.Single(await VerifyAsync(appended, KeyDns(Rsa)));
        Assert.Equal(DkimResultCode.Pass, result.Result);
        Assert.Equal(bodyLength, result.BodyLengthLimit);
        Assert.True(result.UnsignedBodyBytes > 25);
    }

    [Fact]
    public async Task LengthLimitLongerThanBodyIsPermError()
    {
        var signed = await SignAsync(Message, Rsa, new DkimSignerOptions(BodyLength: 40));
        var shortened = signed.Replace("We lost the game.  Are you hungry yet?\r\n\r\n", "");
        var result = Assert.Single(await VerifyAsync(shortened, KeyDns(Rsa)));
        Assert.Equal(DkimResultCode.PermError, result.Result);
        Assert.Contains("longer than the body", result.Reason);
    }

    [Fact]
    public async Task OverSignedFromRefusesAnAddedFrom()
    {
        var signed = await SignAsync(Message, Ed);
        Assert.Contains("h=from:subject:date:to:message-id:from", signed.Replace("\r\n\t", ""));
        var added = signed.Replace("Subject:", "From: attacker@evil.example\r\nSubject:");
        Assert.Equal(DkimResultCode.Fail, Assert.Single(await VerifyAsync(added, KeyDns(Ed))).Result);
    }

    [Fact]
    public async Task SignedButAbsentHeaderRefusesAnAddedOne()
    {
        var signed = await SignAsync(Message, Ed, new DkimSignerOptions(Headers: ["From", "Subject", "Cc"]));
        Assert.Equal(DkimResultCode.Pass, Assert.Single(await VerifyAsync(signed, KeyDns(Ed))).Result);
        var added = signed.Replace("Subject:", "Cc: someone@example.org\r\nSubject:");
        // Cc was absent at signing, so h= does not name it and an added Cc is not covered; naming it twice would be.
        Assert.Equal(DkimResultCode.Pass, Assert.Single(await VerifyAsync(added, KeyDns(Ed))).Result);
        var strict = await SignAsync(Message, Ed, new DkimSignerOptions(Headers: ["From", "Subject"], OverSignFrom: false));
        var withMissing = strict.Replace("h=from:subject", "h=from:subject:cc");
        Assert.Equal(DkimResultCode.Fail, Assert.Single(await VerifyAsync(withMissing, KeyDns(Ed))).Result);
    }

    [Fact]
    public async Task ExpiredSignatureIsPermError()
    {
        var signingTime = new FixedTime(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var signed = await SignAsync(Message, Ed, new DkimSignerOptions(Validity: TimeSpan.FromDays(1)), time: signingTime);
        Assert.Equal(DkimResultCode.Pass, Assert.Single(await VerifyAsync(signed, KeyDns(Ed), signingTime)).Result);
        var later = new FixedTime(DateTimeOffset.Parse("2026-01-03T00:00:00Z"));
        var result = Assert.Single(await VerifyAsync(signed, KeyDns(Ed), later));
        Assert.Equal(DkimResultCode.PermError, result.Result);
        Assert.Contains("expired", result.Reason);
    }

    [Fact]
    public async Task RsaSha1IsRefusedByPolicy()
    {
        var signed = (await SignAsync(Message, Rsa)).Replace("a=rsa-sha256", "a=rsa-sha1");
        var result = Assert.Single(await VerifyAsync(signed, KeyDns(Rsa)));
        Assert.Equal(DkimResultCode.Policy, result.Result);
        Assert.Equal("rsa-sha1 is not accepted (RFC 8301); otherwise body hash did not verify", result.Reason);
    }

    [Fact]
    public async Task ShortRsaKeyIsRefusedByPolicy()
    {
        using var small = System.Security.Cryptography.RSA.Create(512);
        var dns = new FakeDnsResolver().Txt("sel._domainkey.football.example.com",
            "v=DKIM1; p=" + Convert.ToBase64String(small.ExportSubjectPublicKeyInfo()));
        var result = Assert.Single(await VerifyAsync(await SignAsync(Message, Rsa), dns));
        Assert.Equal(DkimResultCode.Policy, result.Result);
        Assert.Contains("512 bits", result.Reason);
    }

    [Theory]
    [InlineData("v=DKIM1; k=rsa; p=", "permerror", "revoked")]
    [InlineData("v=DKIM1; k=ed25519; p=AAAA", "permerror", "does not match")]
    [InlineData("v=DKIM1; k=rsa; p=AAAA", "permerror", "not an RSA public key")]
    [InlineData("v=DKIM1; s=chat; p=AAAA", "permerror", "excludes email")]
    [InlineData("v=DKIM1; h=sha1; p=AAAA", "permerror", "h=sha1 excludes sha256")]
    public async Task BadKeyRecords(string record, string expected, string reason)
    {
        var dns = new FakeDnsResolver().Txt("sel._domainkey.football.example.com", record);
        var result = Assert.Single(await VerifyAsync(await SignAsync(Message, Rsa), dns));
        Assert.Equal(expected, result.Result.Word());
        Assert.Contains(reason, result.Reason);
    }

    [Fact]
    public async Task DnsFailureIsTempErrorAndMissingKeyPermError()
    {
        var signed = await SignAsync(Message, Rsa);
        var timeout = new FakeDnsResolver().Failing("sel._domainkey.football.example.com");
        Assert.Equal(DkimResultCode.TempError, Assert.Single(await VerifyAsync(signed, timeout)).Result);
        var missing = Assert.Single(await VerifyAsync(signed, new FakeDnsResolver()));
        Assert.Equal(DkimResultCode.PermError, missing.Result);
        Assert.Contains("no key record", missing.Reason);
    }

    [Fact]
    public async Task TestingFlagIsReported()
    {
        using var key = Key(Ed);
        var dns = new FakeDnsResolver().Txt("sel._domainkey.football.example.com", key.PublicKeyRecord() + "; t=y");
        var result = Assert.Single(await VerifyAsync(await SignAsync(Message, Ed), dns));
        Assert.Equal(DkimResultCode.Pass, result.Result);
        Assert.True(result.KeyTesting);
    }

    [Fact]
    public async Task StrictKeyRefusesSubdomainIdentity()
    {
        using var key = Key(Ed);
        var dns = new FakeDnsResolver().Txt("sel._domainkey.football.example.com", key.PublicKeyRecord() + "; t=s");
        var sub = await SignAsync(Message, Ed, new DkimSignerOptions(Identity: "joe@mail.football.example.com"));
        Assert.Equal(DkimResultCode.PermError, Assert.Single(await VerifyAsync(sub, dns)).Result);
        var exact = await SignAsync(Message, Ed, new DkimSignerOptions(Identity: "joe;x=1@football.example.com"));
        Assert.Contains("i=joe=3Bx=3D1@football.example.com", exact);
        var result = Assert.Single(await VerifyAsync(exact, dns));
        Assert.Equal((DkimResultCode.Pass, "joe;x=1@football.example.com"), (result.Result, result.Identity));
    }

    [Fact]
    public async Task SeveralSignaturesEachGetTheirOwnResult()
    {
        var once = await SignAsync(Message, Ed, domain: "football.example.com", selector: "ed");
        var twice = await SignAsync(once, Rsa, domain: "example.com", selector: "rsa");
        var thrice = "DKIM-Signature: v=1; a=rsa-sha256; d=broken.example\r\n" + twice;
        using var edKey = Key(Ed);
        using var rsaKey = Key(Rsa);
        var dns = new FakeDnsResolver()
            .Txt("ed._domainkey.football.example.com", edKey.PublicKeyRecord())
            .Txt("rsa._domainkey.example.com", rsaKey.PublicKeyRecord());
        var results = await VerifyAsync(thrice.Replace("Joe.", "Joe!"), dns);
        Assert.Equal(3, results.Count);
        Assert.Equal((DkimResultCode.PermError, "broken.example"), (results[0].Result, results[0].Domain));
        Assert.Contains("missing required tag", results[0].Reason);
        Assert.Equal((DkimResultCode.Fail, "example.com"), (results[1].Result, results[1].Domain));
        Assert.Equal((DkimResultCode.Fail, "football.example.com"), (results[2].Result, results[2].Domain));
        Assert.Equal(DkimResultCode.Pass, (await VerifyAsync(twice, dns))[1].Result);
    }

    [Theory]
    [InlineData(Rsa, "simple")]
    [InlineData(Ed, "relaxed")]
    public async Task BodyPushedInChunksAsAMilterWould(string algorithm, string canonicalization)
    {
        var c = C(canonicalization);
        var signed = await SignAsync(Message, algorithm, new DkimSignerOptions(c, c));
        var split = signed.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        // Name and value as a milter hands them over: the value is everything after the colon, folding as LF.
        var fields = signed[..split].Replace("\r\n\t", "\n\t").Split("\r\n")
            .Select(line => RawHeaderField.Create(line[..line.IndexOf(':')], line[(line.IndexOf(':') + 1)..]))
            .ToList();
        var body = System.Text.Encoding.ASCII.GetBytes(signed[(split + 4)..]);
        using var verification = new DkimVerifier(KeyDns(algorithm)).Begin(fields);
        Assert.True(verification.NeedsBody);
        for (var i = 0; i < body.Length; i += 5)
            verification.AppendBody(body.AsSpan(i, Math.Min(5, body.Length - i)));
        var result = Assert.Single(await verification.CompleteAsync(TestContext.Current.CancellationToken));
        Assert.Equal(DkimResultCode.Pass, result.Result);
    }

    [Fact]
    public async Task SignatureCountIsCapped()
    {
        var message = string.Concat(Enumerable.Repeat("DKIM-Signature: v=1\r\n", DkimVerifier.MaxSignatures + 3)) + Message;
        var results = await VerifyAsync(message, new FakeDnsResolver());
        Assert.Equal(DkimVerifier.MaxSignatures + 3, results.Count);
        Assert.All(results, r => Assert.Equal(DkimResultCode.PermError, r.Result));
        Assert.Contains("more than", results[^1].Reason);
    }

    [Fact]
    public async Task OversizedHeaderIsAClearError()
    {
        var huge = "X-Big: " + new string('a', RawMessageReader.DefaultMaxHeaderBytes + 10) + "\r\n" + Message;
        var e = await Assert.ThrowsAsync<DkimFormatException>(() => VerifyAsync(huge, new FakeDnsResolver()));
        Assert.Contains("header block larger", e.Message);
    }
}

internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
