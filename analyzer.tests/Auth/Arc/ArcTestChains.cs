using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Arc;
using DmarcAnalyzer.Auth.Dmarc;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Security;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Tests.Auth.Arc;

/// <summary>Keys in a test zone and ARC chains made with MimeKit's signer, including the ones the RFCs forbid.</summary>
internal static class ArcTestChains
{
    public const string Message =
        "From: Joe <joe@example.com>\r\n" +
        "To: list@lists.example.org\r\n" +
        "Subject: dinner\r\n" +
        "Date: Fri, 11 Jul 2003 21:00:37 -0700\r\n" +
        "Message-ID: <1@example.com>\r\n" +
        "\r\n" +
        "Hi.\r\n\r\nJoe.\r\n";

    /// <summary>A PKCS#1 PEM RSA key of <paramref name="bits"/> and its DKIM TXT record.</summary>
    public static (string Pem, string Record) RsaKey(int bits = 1024)
    {
        using var rsa = RSA.Create(bits);
        return (rsa.ExportRSAPrivateKeyPem(), "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>A key of any size, for the ones .NET will not make (512 bits).</summary>
    public static (AsymmetricKeyParameter Private, string Record) WeakRsaKey(int bits)
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(new SecureRandom(), bits));
        var pair = generator.GenerateKeyPair();
        var spki = Org.BouncyCastle.X509.SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded();
        return (pair.Private, "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(spki));
    }

    public static AsymmetricKeyParameter Private(string pem)
    {
        using var reader = new Org.BouncyCastle.OpenSsl.PemReader(new StringReader(pem));
        return ((AsymmetricCipherKeyPair)reader.ReadObject()).Private;
    }

    /// <summary>Adds an ARC set made by MimeKit (any algorithm) whose ARC-Authentication-Results say <paramref name="results"/>.</summary>
    public static string Seal(string message, AsymmetricKeyParameter key, string domain, string selector, string results,
        DkimSignatureAlgorithm algorithm = DkimSignatureAlgorithm.RsaSha256)
    {
        var parsed = MimeMessage.Load(new MemoryStream(Encoding.Latin1.GetBytes(message)));
        Assert.True(AuthenticationResults.TryParse(Encoding.ASCII.GetBytes(results), out var aar));
        new TestSigner(key, domain, selector, algorithm, aar)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        }.Sign(parsed, ["from", "to", "subject", "date", "message-id"]);
        using var output = new MemoryStream();
        parsed.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output);
        return Encoding.Latin1.GetString(output.ToArray());
    }

    public static async Task<ArcResult> VerifyAsync(string message, FakeDnsResolver dns) =>
        await new ArcChainVerifier(dns).VerifyAsync(MimeMessage.Load(new MemoryStream(Encoding.Latin1.GetBytes(message))), CancellationToken.None);

    /// <summary>
    /// Our verification, Authentication-Results and seal on top (as us.example, selector <paramref name="selector"/>),
    /// as the milter adds them.
    /// </summary>
    public static async Task<string> OurSealAsync(string message, string keyPem, string selector, FakeDnsResolver dns)
    {
        var arc = await VerifyAsync(message, dns);
        var results = AuthenticationResultsWriter.Write("mx.us.example", new SpfOutcome(SpfResultCode.Pass, "example.com"), [], null, arc, "192.0.2.1");
        var withResults = $"Authentication-Results: {results}\r\n{message}";
        using var folder = new TempFolder();
        var keyFile = folder.File("arc.pem");
        await File.WriteAllTextAsync(keyFile, keyPem);
        var key = ArcSealKey.Read("us.example", selector, keyFile, "rsa-sha256");
        var set = await ArcSealer.SealAsync(key, new MemoryStream(Encoding.Latin1.GetBytes(withResults)), results, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.NotNull(set);
        return string.Concat(set.Select(f => $"{f.Name}: {f.Value}\r\n")) + withResults;
    }

    /// <summary>The message without its ARC-Seal of <paramref name="instance"/>.</summary>
    public static string WithoutSeal(string message, int instance)
    {
        var lines = Regex.Replace(message, "\r\n([ \t])", "\u0001$1").Split("\r\n");
        return string.Join("\r\n", lines.Where(l => !(l.StartsWith("ARC-Seal:", StringComparison.OrdinalIgnoreCase) && Regex.IsMatch(l, $@"\bi={instance};"))))
            .Replace("\u0001", "\r\n");
    }

    /// <summary>Instances 2 and 3 swapped in every ARC field: the sets out of order.</summary>
    public static string SwappedInstances(string message) =>
        Regex.Replace(message, @"\bi=([23]);", m => m.Groups[1].Value == "2" ? "i=3;" : "i=2;");

    private sealed class TestSigner(AsymmetricKeyParameter key, string domain, string selector, DkimSignatureAlgorithm algorithm, AuthenticationResults results)
        : ArcSigner(key, domain, selector, algorithm)
    {
        protected override AuthenticationResults GenerateArcAuthenticationResults(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) => results;

        protected override Task<AuthenticationResults> GenerateArcAuthenticationResultsAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
            Task.FromResult(results);
    }
}
