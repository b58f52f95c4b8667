using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Tests.Filter;

namespace DmarcAnalyzer.Tests.Archives;

public sealed class EncryptedContentDetectorTests
{
    private static readonly EncryptedContentDetector Detector = new(maxDepth: 3, maxMembers: 1000);

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
        Assert.Equal(new EncryptedFinding("outer.zip/middle.zip/inner.zip", "ZIP nested more than 1 deep", NotInspected: true),
            new EncryptedContentDetector(maxDepth: 1, 1000).Inspect(outer, "outer.zip"));
    }

    [Fact]
    public void What_the_limits_keep_us_from_inspecting_is_a_finding_not_clean()
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
    public void An_encrypted_member_wins_over_a_member_that_could_not_be_read_before_it()
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
    public void Inflation_is_bounded_a_bomb_is_skipped_and_the_search_goes_on()
    {
        var bomb = TestMessages.PlainZip(("zeros.zip", new byte[64 << 20]), ("x.zip", TestMessages.EncryptedZip("e")));
        Assert.Equal("bomb.zip/x.zip/e", new EncryptedContentDetector(3, 1000).Inspect(bomb, "bomb.zip", budget: 1 << 20)?.Path);
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
        Assert.Equal("Office (encrypted package)", Detector.Inspect(CompoundFileBuilder.Build(("EncryptionInfo", new byte[100]), ("EncryptedPackage", new byte[100])), "a.docx")?.Kind);
        Assert.Null(Detector.Inspect(CompoundFileBuilder.Build(("WordDocument", [0xEC, 0xA5, .. new byte[30]])), "a.doc"));
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
