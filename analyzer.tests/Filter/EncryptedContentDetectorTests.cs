using DmarcAnalyzer.Filter;

namespace DmarcAnalyzer.Tests.Filter;

public sealed class EncryptedContentDetectorTests
{
    private static readonly EncryptedContentDetector Detector = new(maxDepth: 3, maxMembers: 1000, maxInflatedBytes: 1 << 20);

    [Fact]
    public void A_plain_zip_is_not_encrypted() =>
        Assert.Null(Detector.Inspect(TestMessages.PlainZip(("a.txt", "hello"u8.ToArray()), ("b.bin", new byte[5000])), "plain.zip"));

    [Theory]
    [InlineData(false, "ZIP (PKWARE)")]
    [InlineData(true, "ZIP (AES)")]
    public void Encrypted_zip_members_are_found(bool aes, string kind)
    {
        var finding = Detector.Inspect(TestMessages.EncryptedZip("invoice.doc", aes), "invoice.zip");
        Assert.Equal(new EncryptedFinding("invoice.zip/invoice.doc", kind), finding);
    }

    [Fact]
    public void An_encrypted_zip_inside_plain_zips_is_found_within_the_depth_limit()
    {
        var inner = TestMessages.EncryptedZip("payload.exe");
        var middle = TestMessages.PlainZip(("readme.txt", "x"u8.ToArray()), ("inner.zip", inner));
        var outer = TestMessages.PlainZip(("middle.zip", middle));
        Assert.Equal("outer.zip/middle.zip/inner.zip/payload.exe", Detector.Inspect(outer, "outer.zip")?.Path);
        Assert.Null(new EncryptedContentDetector(maxDepth: 1, 1000, 1 << 20).Inspect(outer, "outer.zip"));
    }

    [Fact]
    public void Inflation_is_bounded_a_bomb_is_skipped_and_the_search_goes_on()
    {
        var bomb = TestMessages.PlainZip(("zeros.zip", new byte[64 << 20]), ("x.zip", TestMessages.EncryptedZip("e")));
        Assert.Equal("bomb.zip/x.zip/e", new EncryptedContentDetector(3, 1000, maxInflatedBytes: 1 << 20).Inspect(bomb, "bomb.zip")?.Path);
    }

    [Fact]
    public void Other_encrypted_formats_are_recognised_where_the_format_says_so()
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
        Assert.Equal("Office (encrypted package)", Detector.Inspect(TestMessages.Ole2("EncryptedPackage"), "a.docx")?.Kind);
        Assert.Null(Detector.Inspect(TestMessages.Ole2("WordDocument"), "a.doc"));
    }

    [Fact]
    public void An_encrypted_pdf_inside_a_zip_is_found() =>
        Assert.Equal("docs.zip/secret.pdf", Detector.Inspect(TestMessages.PlainZip(("secret.pdf", TestMessages.Pdf("/Encrypt 9 0 R"))), "docs.zip")?.Path);

    [Fact]
    public void Garbage_and_truncated_archives_are_not_a_crash()
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
