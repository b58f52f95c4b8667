using System.Security.Cryptography;
using System.Text;
using DmarcAnalyzer.Auth.Dkim;

namespace DmarcAnalyzer.Tests.Auth.Dkim;

public sealed class DkimCanonicalizationTests
{
    // RFC 6376 §3.4.5, the worked example.
    [Fact]
    public void RelaxedHeaderExample()
    {
        Assert.Equal("a:X\r\n", DkimHeaderCanonicalizer.Canonicalize("A: X", DkimCanonicalization.Relaxed));
        Assert.Equal("b:Y Z\r\n", DkimHeaderCanonicalizer.Canonicalize("B : Y\t\r\n\tZ  ", DkimCanonicalization.Relaxed));
        Assert.Equal("B : Y\t\r\n\tZ  \r\n", DkimHeaderCanonicalizer.Canonicalize("B : Y\t\r\n\tZ  ", DkimCanonicalization.Simple));
    }

    [Theory]
    [InlineData("relaxed", " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n")]
    [InlineData("simple", " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n")]
    [InlineData("simple", "", "\r\n")]
    [InlineData("simple", "\r\n\r\n", "\r\n")]
    [InlineData("relaxed", "", "")]
    [InlineData("relaxed", " \t\r\n\r\n", "")]
    [InlineData("simple", "no final newline", "no final newline\r\n")]
    [InlineData("relaxed", "bare\nLF  \n\n", "bare\r\nLF\r\n")]
    [InlineData("simple", "a\rb\r\n", "a\rb\r\n")]
    [InlineData("relaxed", "x\r\n\r\ny\r\n", "x\r\n\r\ny\r\n")]
    public void BodyExamples(string canonicalization, string body, string canonical)
    {
        var c = DkimHeaderCanonicalizer.Parse(canonicalization);
        Assert.Equal(Hash(canonical), HashBody(c, null, Encoding.ASCII.GetBytes(body), chunk: 1));
        Assert.Equal(Hash(canonical), HashBody(c, null, Encoding.ASCII.GetBytes(body), chunk: 4096));
    }

    [Fact]
    public void LengthLimitHashesOnlyThePrefix()
    {
        var (hash, length) = HashBodyWithLength(DkimCanonicalization.Simple, 5, "hello\r\nworld\r\n"u8.ToArray());
        Assert.Equal(Hash("hello"), Convert.ToBase64String(hash));
        Assert.Equal(14, length);
    }

    // Long bodies of random lines against a plain string implementation of §3.4.3 and §3.4.4, fed in odd chunk sizes.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void LargeBodiesMatchAPlainImplementation(int seed)
    {
        var random = new Random(seed);
        var pieces = new[] { "word", " ", "\t", "  ", "\r\n", "\n", "\r", "x", new string('y', 5000), "\r\n\r\n" };
        var body = string.Concat(Enumerable.Range(0, 4000).Select(_ => pieces[random.Next(pieces.Length)]));
        var bytes = Encoding.ASCII.GetBytes(body);
        foreach (var c in new[] { DkimCanonicalization.Simple, DkimCanonicalization.Relaxed })
        {
            var expected = Hash(Plain(body, c));
            foreach (var chunk in new[] { 1, 7, 4096, 100_000 })
                Assert.Equal(expected, HashBody(c, null, bytes, chunk));
        }
    }

    private static string Plain(string body, DkimCanonicalization c)
    {
        var lines = body.Replace("\r\n", "\n").Split('\n').ToList();
        if (lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        if (c == DkimCanonicalization.Relaxed)
            lines = lines.Select(l => System.Text.RegularExpressions.Regex.Replace(l, "[ \t]+", " ").TrimEnd(' ')).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        if (lines.Count == 0)
            return c == DkimCanonicalization.Simple ? "\r\n" : "";
        return string.Concat(lines.Select(l => l + "\r\n"));
    }

    private static string Hash(string canonical) => Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(canonical)));

    private static string HashBody(DkimCanonicalization c, long? limit, byte[] body, int chunk) =>
        Convert.ToBase64String(HashBodyWithLength(c, limit, body, chunk).Hash);

    private static (byte[] Hash, long Length) HashBodyWithLength(DkimCanonicalization c, long? limit, byte[] body, int chunk = 3)
    {
        using var hasher = new DkimBodyHasher(c, limit);
        for (var i = 0; i < body.Length; i += chunk)
            hasher.Append(body.AsSpan(i, Math.Min(chunk, body.Length - i)));
        return hasher.Complete();
    }
}
