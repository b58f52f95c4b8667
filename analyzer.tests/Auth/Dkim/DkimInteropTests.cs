using DmarcAnalyzer.Auth.Dkim;
using static DmarcAnalyzer.Tests.Auth.Dkim.DkimTestMessages;

namespace DmarcAnalyzer.Tests.Auth.Dkim;

/// <summary>Both directions with Debian's python3-dkim: both algorithms, all four canonicalisation pairs.</summary>
public sealed class DkimInteropTests
{
    private static readonly (string Algorithm, string Header, string Body)[] Cases =
        [.. from a in new[] { DkimSignature.RsaSha256, DkimSignature.Ed25519Sha256 }
            from h in new[] { "simple", "relaxed" }
            from b in new[] { "simple", "relaxed" }
            select (a, h, b)];

    // Folded whitespace, a long line and trailing blank lines give the canonicalisations something to do.
    private const string Tricky =
        "From: Joe SixPack <joe@football.example.com>\r\n" +
        "To: Suzie Q <suzie@shopping.example.net>,\r\n   Anne <anne@example.org>\r\n" +
        "Subject:   Is dinner\t ready?  \r\n" +
        "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n" +
        "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n" +
        "\r\n" +
        "Hi.  \r\n" +
        "\t indented\t\tline with   spaces \r\n" +
        "\r\n" +
        "Joe.\r\n\r\n\r\n";

    [Fact]
    public async Task PythonSignedMessagesVerifyWithOurs()
    {
        var signed = await PythonDkim.RunAsync<List<string>>(PythonDkim.SignScript, new
        {
            message = Tricky,
            rsa_pem = RsaPem,
            ed_seed = Convert.ToBase64String(Ed25519Seed),
            domain = "football.example.com",
            selector = "py",
            cases = Cases.Select(c => new { algorithm = c.Algorithm, header = c.Header, body = c.Body }),
        });
        Assert.Equal(Cases.Length, signed.Count);
        for (var n = 0; n < Cases.Length; n++)
        {
            var dns = KeyDns(Cases[n].Algorithm, selector: "py");
            var result = Assert.Single(await VerifyAsync(signed[n], dns));
            Assert.True(result.Result == DkimResultCode.Pass, $"{Cases[n]}: {result.Result} {result.Reason}");
            Assert.Contains($"c={Cases[n].Header}/{Cases[n].Body}", signed[n]);
        }
    }

    [Fact]
    public async Task OurSignedMessagesVerifyWithPython()
    {
        var messages = new List<string>();
        foreach (var (algorithm, header, body) in Cases)
        {
            var options = new DkimSignerOptions(DkimHeaderCanonicalizer.Parse(header), DkimHeaderCanonicalizer.Parse(body));
            messages.Add(await SignAsync(Tricky, algorithm, options, selector: algorithm));
        }
        using var rsa = Key(DkimSignature.RsaSha256);
        using var ed = Key(DkimSignature.Ed25519Sha256);
        var verdicts = await PythonDkim.RunAsync<List<bool>>(PythonDkim.VerifyScript, new
        {
            messages,
            records = new Dictionary<string, string>
            {
                [$"{DkimSignature.RsaSha256}._domainkey.football.example.com"] = rsa.PublicKeyRecord(),
                [$"{DkimSignature.Ed25519Sha256}._domainkey.football.example.com"] = ed.PublicKeyRecord(),
            },
        });
        for (var n = 0; n < Cases.Length; n++)
            Assert.True(verdicts[n], $"python3-dkim refused our {Cases[n]} signature");
        // The peer is not just saying yes: a changed body fails there too.
        var tampered = await PythonDkim.RunAsync<List<bool>>(PythonDkim.VerifyScript, new
        {
            messages = new[] { messages[0].Replace("Joe.", "Jim.") },
            records = new Dictionary<string, string> { [$"{DkimSignature.RsaSha256}._domainkey.football.example.com"] = rsa.PublicKeyRecord() },
        });
        Assert.False(tampered[0]);
    }
}
