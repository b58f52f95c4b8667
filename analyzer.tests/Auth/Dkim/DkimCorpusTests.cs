using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;

namespace DmarcAnalyzer.Tests.Auth.Dkim;

/// <summary>
/// The shared DKIM vectors. mail-dkim's expectations predate RFC 8301: most of its signatures are rsa-sha1, many
/// with 512- or 768-bit keys, all <c>policy</c> here, whose reason says whether the signature would otherwise verify;
/// that is what is compared. Its g= tag (RFC 4871) is ignored, as RFC 6376 removed it; its pre-standard draft
/// signatures (no v=, v=0.5) are permerror. Its "invalid" is our permerror or temperror.
/// </summary>
public sealed class DkimCorpusTests
{
    public static TheoryData<string, string> MailDkimCases()
    {
        var data = new TheoryData<string, string>();
        var expected = Path.Combine(Corpus.Root, "dkim", "mail-dkim", "EXPECTED.tsv");
        if (!File.Exists(expected))
        {
            data.Add("(corpus missing)", "");
            return data;
        }
        foreach (var line in File.ReadLines(expected).Where(l => !l.StartsWith('#')).Skip(1))
        {
            var columns = line.Split('\t');
            if (columns[1] != "(any)")
                data.Add(columns[0], columns[1]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(MailDkimCases))]
    public async Task MailDkimVerifierCases(string file, string expected)
    {
        var folder = Corpus.Require("dkim", "mail-dkim");
        var dns = LoadFakeDns(Path.Combine(folder, "FAKE_DNS.dat"));
        await using var message = File.OpenRead(Path.Combine(folder, file));
        var results = await new DkimVerifier(dns, new FixedTime(DateTimeOffset.Parse("2010-01-01T00:00:00Z"))).VerifyAsync(message, CancellationToken.None);
        var summary = string.Join("; ", results.Select(r => $"{r.Result.Word()} d={r.Domain} ({r.Reason})"));
        Assert.NotEmpty(results);
        // Pre-standard drafts (no v=, or v=0.5) are permerror under RFC 6376 §3.5.
        if (results.All(r => r.Reason is { } why && (why.Contains("missing required tag v=") || why.Contains("v=0.5"))))
            return;
        // RFC 8301 refusals still say what the signature would have given.
        bool Passes(DkimResult r) => r.Result == DkimResultCode.Pass || r.Result == DkimResultCode.Policy && r.Reason!.EndsWith("otherwise it verifies");
        bool Fails(DkimResult r) => r.Result == DkimResultCode.Fail || r.Result == DkimResultCode.Policy && r.Reason!.Contains("otherwise") && !Passes(r);
        switch (expected)
        {
            case "pass":
                Assert.True(results.Any(Passes), summary);
                break;
            case "fail":
                Assert.True(!results.Any(Passes) && results.Any(Fails), summary);
                break;
            case "invalid" when IgnoredG.Contains(file):
                Assert.True(results.All(r => r.Result != DkimResultCode.Pass), summary);
                break;
            default:
                Assert.True(results.All(r => r.Result is DkimResultCode.PermError or DkimResultCode.TempError), summary);
                break;
        }
    }

    // mail-dkim refuses these for their key's g= tag, which RFC 6376 removed; here they fail only RFC 8301.
    private static readonly HashSet<string> IgnoredG = ["badkey_8.txt", "badkey_9.txt", "badkey_12.txt", "badkey_13.txt"];

    // dkimpy's key files: PKCS#1 and PKCS#8 PEM, and a base64 Ed25519 seed, each with its published key record.
    [Theory]
    [InlineData("1024_testkey.key", "1024_testkey_wo_markers.pub.txt")]
    [InlineData("2048_testkey.key", "2048_testkey_wo_markers.pub.txt")]
    [InlineData("2048_testkey_PKCS8.key", "2048_testkey_PKCS8.key.pub.txt")]
    [InlineData("ed25519test.key", "ed25519test.dns")]
    public async Task DkimpyKeysSignAndVerify(string keyFile, string recordFile)
    {
        var folder = Corpus.Require("dkim", "dkimpy");
        using var key = DkimSigningKey.Parse(await File.ReadAllTextAsync(Path.Combine(folder, keyFile), TestContext.Current.CancellationToken));
        var signer = new DkimSigner(key, "example.com", "test");
        var signed = await signer.SignAsync(DkimTestMessages.Stream(DkimTestMessages.Message), CancellationToken.None) + DkimTestMessages.Message;
        var dns = new FakeDnsResolver().Txt("test._domainkey.example.com", File.ReadAllText(Path.Combine(folder, recordFile)).Trim());
        var result = Assert.Single(await DkimTestMessages.VerifyAsync(signed, dns));
        Assert.Equal(DkimResultCode.Pass, result.Result);
    }

    // Wycheproof's PKCS#1 v1.5 SHA-256 cases through the key-record import and the verification call the verifier makes.
    [Fact]
    public void WycheproofRsaThroughKeyRecords()
    {
        var path = Corpus.Require("dkim", "wycheproof", "rsa_signature_2048_sha256_test.json");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        var count = 0;
        foreach (var group in json.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            var record = DkimKeyRecord.Parse("v=DKIM1; k=rsa; p=" + Convert.ToBase64String(Convert.FromHexString(group.GetProperty("publicKeyDer").GetString()!)));
            using var rsa = record.ImportRsaOrNull()!;
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                var expected = test.GetProperty("result").GetString();
                if (expected == "acceptable")
                    continue;
                var hash = System.Security.Cryptography.SHA256.HashData(Convert.FromHexString(test.GetProperty("msg").GetString()!));
                var ok = rsa.VerifyHash(hash, Convert.FromHexString(test.GetProperty("sig").GetString()!),
                    System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
                Assert.True(ok == (expected == "valid"), $"tcId {test.GetProperty("tcId")}: expected {expected}");
                count++;
            }
        }
        Assert.True(count > 200);
    }

    /// <summary>mail-dkim's FAKE_DNS.dat: "name value"; NXDOMAIN for no record; ~~text~~ for a DNS error.</summary>
    internal static FakeDnsResolver LoadFakeDns(string path)
    {
        var dns = new FakeDnsResolver();
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith('#') || string.IsNullOrWhiteSpace(line))
                continue;
            var split = line.IndexOfAny([' ', '\t']);
            var name = line[..split];
            var value = line[split..].Trim();
            if (value == "NXDOMAIN")
                continue;
            if (value.StartsWith("~~", StringComparison.Ordinal))
                dns.Failing(name);
            else
                dns.Txt(name, value == "\"\"" ? "" : value);
        }
        return dns;
    }
}
