using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Tests.Filter;

namespace DmarcAnalyzer.Tests.Archives;

public sealed class EncryptedContentDetectorTests
{
    private static readonly EncryptedContentDetector Detector = new(maxDepth: 3, maxMembers: 1000);

    [Fact]
    public void APlainZipIsNotEncrypted() =>
        Assert.Null(Detector.Inspect(TestMessages.PlainZip(("a.txt", "hello"u8.ToArray()), ("b.bin", new byte[5000])), "plain.zip"));

    [Theory]
    [InlineData(false, "ZIP (PKWARE)")]
    [InlineData(true, "ZIP (AES)")]
    public void EncryptedZipMembersAreFound(bool aes, string kind)
    {
        var finding = Detector.Inspect(TestMessages.EncryptedZip("invoice.doc", aes), "invoice.zip");
        Assert.Equal(new EncryptedFinding("invoice.zip/invoice.doc", kind), finding);
    }

    [Fact]
    public void AnEncryptedZipInsidePlainZipsIsFoundWithinTheDepthLimit()
    {
        var inner = TestMessages.EncryptedZip("payload.exe");
        var middle = TestMessages.PlainZip(("readme.txt", "x"u8.ToArray()), ("inner.zip", inner));
        var outer = TestMessages.PlainZip(("middle.zip", middle));
        Assert.Equal("outer.zip/middle.zip/inner.zip/payload.exe", Detector.Inspect(outer, "outer.zip")?.Path);
        Assert.Equal(new EncryptedFinding("outer.zip/middle.zip/inner.zip", "ZIP nested more than 1 deep", NotInspected: true),
            new EncryptedContentDetector(maxDepth: 1, 1000).Inspect(outer, "outer.zip"));
    }

    [Fact]
    public void WhatTheLimitsKeepUsFromInspectingIsAFindingNotClean()
    {
        var members = TestMessages.PlainZip(("a.txt", "a"u8.ToArray()), ("b.txt", "b"u8.ToArray()), ("c.zip", TestMessages.EncryptedZip("e")));
        Assert.Equal(new EncryptedFinding("many.zip", "more than 2 members", NotInspected: true),
            new EncryptedContentDetector(3, maxMembers: 2).Inspect(members, "many.zip"));

        var spent = TestMessages.PlainZip(("big.bin", new byte[1 << 20]), ("x.zip", TestMessages.EncryptedZip("e")));
        var finding = new EncryptedContentDetector(3, 1000).Inspect(spent, "spent.zip", budget: 1 << 20);
        Assert.NotNull(finding);
        Assert.True(finding.NotInspected);
        Assert.Equal("spent.zip/x.zip", finding.Path);
        Assert.StartsWith("inflate limit reached", finding.Kind);
        Assert.StartsWith("archive could not be fully inspected: inflate limit reached", finding.Reason);

        var bzip2 = WithMethod(TestMessages.PlainZip(("a.txt", "hello"u8.ToArray())), 12);
        Assert.Equal(new EncryptedFinding("odd.zip/a.txt", "compression method 12 not supported", NotInspected: true), Detector.Inspect(bzip2, "odd.zip"));
    }

    [Fact]
    public void AnEncryptedMemberWinsOverAMemberThatCouldNotBeReadBeforeIt()
    {
        var odd = WithMethod(TestMessages.PlainZip(("a.txt", "hello"u8.ToArray())), 12);
        var mixed = TestMessages.PlainZip(("odd.zip", odd), ("x.zip", TestMessages.EncryptedZip("e")));
        Assert.Equal(new EncryptedFinding("mixed.zip/x.zip/e", "ZIP (PKWARE)"), Detector.Inspect(mixed, "mixed.zip"));
    }

    /// <summary>The ZIP with every member's compression method (local and central headers) set to <paramref name="method"/>.</summary>
    private static byte[] WithMethod(byte[] zip, ushort method)
    {
        for (var at = 0; at + 4 <= zip.Length; at++)
        {
            var signature = BitConverter.ToUInt32(zip, at);
            if (signature == 0x04034b50)
                BitConverter.TryWriteBytes(zip.AsSpan(at + 8), method);
            else if (signature == 0x02014b50)
                BitConverter.TryWriteBytes(zip.AsSpan(at + 10), method);
        }
        return zip;
    }

    [Fact]
    public void InflationIsBoundedABombIsSkippedAndTheSearchGoesOn()
    {
        var bomb = TestMessages.PlainZip(("zeros.zip", new byte[64 << 20]), ("x.zip", TestMessages.EncryptedZip("e")));
        Assert.Equal("bomb.zip/x.zip/e", new EncryptedContentDetector(3, 1000).Inspect(bomb, "bomb.zip", budget: 1 << 20)?.Path);
    }

    [Fact]
    public void OtherEncryptedFormatsAreRecognisedWhereTheFormatSaysSo()
    {
        Assert.Equal("7z (AES)", Detector.Inspect(TestMessages.SevenZip(encrypted: true), "a.7z")?.Kind);
        Assert.Null(Detector.Inspect(TestMessages.SevenZip(encrypted: false), "a.7z"));
        Assert.Equal("RAR 4", Detector.Inspect(TestMessages.Rar4(encryptedHeaders: true, encryptedFile: false), "a.rar")?.Kind);
        Assert.Equal("RAR 4", Detector.Inspect(TestMessages.Rar4(encryptedHeaders: false, encryptedFile: true), "a.rar")?.Kind);
        Assert.Null(Detector.Inspect(TestMessages.Rar4(false, false), "a.rar"));
        Assert.Equal("RAR 5", Detector.Inspect(TestMessages.Rar5(encrypted: true), "a.rar")?.Kind);
        Assert.Null(Detector.Inspect(TestMessages.Rar5(encrypted: false), "a.rar"));
        Assert.Equal("PDF", Detector.Inspect(TestMessages.Pdf("/Encrypt 5 0 R"), "a.pdf")?.Kind);
        Assert.Null(Detector.Inspect(TestMessages.Pdf("/EncryptMetadata false"), "a.pdf"));
        Assert.Null(Detector.Inspect(TestMessages.Pdf(""), "a.pdf"));
        Assert.Equal("Office (encrypted package)", Detector.Inspect(CompoundFileBuilder.Build(("EncryptionInfo", new byte[100]), ("EncryptedPackage", new byte[100])), "a.docx")?.Kind);
        Assert.Null(Detector.Inspect(CompoundFileBuilder.Build(("WordDocument", [0xEC, 0xA5, .. new byte[30]])), "a.doc"));
    }

    [Fact]
    public void AnEncryptedPdfInsideAZipIsFound() =>
        Assert.Equal("docs.zip/secret.pdf", Detector.Inspect(TestMessages.PlainZip(("secret.pdf", TestMessages.Pdf("/Encrypt 9 0 R"))), "docs.zip")?.Path);

    [Fact]
    public void GarbageAndTruncatedArchivesAreNotACrash()
    {
        var zip = TestMessages.EncryptedZip("x");
        for (var length = 0; length < zip.Length; length += 7)
            Detector.Inspect(zip.AsSpan(0, length), "cut.zip");
        var random = new byte[4096];
        new Random(1).NextBytes(random);
        "PK\u0003\u0004"u8.CopyTo(random);
        Detector.Inspect(random, "random.zip");
        Detector.Inspect(TestMessages.Rar5(true).AsSpan(0, 13), "cut.rar");
    }
}
