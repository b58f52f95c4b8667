using System.Buffers.Binary;
using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Tests.Filter;

namespace DmarcAnalyzer.Tests.Archives;

/// <summary>
/// Encrypted 7z detection against archives made by the real 7-Zip: its default compresses the header with LZMA,
/// which hides the AES coder until the header is decoded.
/// </summary>
public sealed class SevenZipHeaderTests
{
    private static readonly EncryptedContentDetector Detector = new(maxDepth: 3, maxMembers: 1000);

    private static ReadOnlySpan<byte> AesCoder => [0x06, 0xF1, 0x07, 0x01];

    private static (string, byte[])[] Files() =>
    [
        ("invoice.txt", "Please find the invoice attached.\r\n"u8.ToArray()),
        ("report.xml", LzmaDecoderTests.Sample(40_000, 1)),
        ("noise.bin", LzmaDecoderTests.Sample(3_000, 2)),
        ("empty.txt", []),
    ];

    private static ReadOnlySpan<byte> NextHeader(byte[] archive)
    {
        var offset = BinaryPrimitives.ReadUInt64LittleEndian(archive.AsSpan(12));
        var size = BinaryPrimitives.ReadUInt64LittleEndian(archive.AsSpan(20));
        return archive.AsSpan(32 + (int)offset, (int)size);
    }

    [Fact]
    public async Task SevenZipsDefaultEncryptionIsFoundBehindItsLzmaCodedHeader()
    {
        var archive = await CompressionTools.SevenZipAsync(Files(), "-pSECRET");
        // What the old byte search saw: an encoded header (0x17) whose own coder is LZMA, no AES in sight.
        Assert.Equal(0x17, NextHeader(archive)[0]);
        Assert.True(NextHeader(archive).IndexOf(AesCoder) < 0);
        Assert.True(NextHeader(archive).IndexOf((ReadOnlySpan<byte>)[0x03, 0x01, 0x01]) > 0);
        Assert.Equal(new EncryptedFinding("secret.7z", "7z (AES)"), Detector.Inspect(archive, "secret.7z"));
    }

    [Theory]
    [InlineData(false, "-m0=lzma", "-ms=on")]
    [InlineData(false, "-m0=lzma", "-ms=off")]
    [InlineData(false, "-m0=lzma2", "-ms=on")]
    [InlineData(false, "-m0=lzma2", "-ms=off")]
    [InlineData(false, "-m0=lzma2", "-mhc=off")]
    [InlineData(false, "-m0=ppmd", "-ms=on")]
    [InlineData(true, "-m0=lzma", "-ms=on")]
    [InlineData(true, "-m0=lzma", "-ms=off")]
    [InlineData(true, "-m0=lzma2", "-ms=on")]
    [InlineData(true, "-m0=lzma2", "-ms=off")]
    [InlineData(true, "-m0=lzma2", "-mhe=on")]
    [InlineData(true, "-m0=lzma", "-mhe=on")]
    [InlineData(true, "-m0=lzma2", "-mhc=off")]
    [InlineData(true, "-m0=ppmd", "-ms=off")]
    [InlineData(false, "-mf=BCJ2", "-ms=on")]
    [InlineData(true, "-mf=BCJ2", "-ms=on")]
    [InlineData(true, "-m0=bzip2", "-mhe=on")]
    public async Task ArchivesOfEveryMethodAndLayoutAreJudgedByTheirCoders(bool encrypted, string method, string layout)
    {
        string[] switches = encrypted ? ["-pSECRET", method, layout] : [method, layout];
        var archive = await CompressionTools.SevenZipAsync(Files(), switches);
        Assert.Equal(encrypted ? new EncryptedFinding("a.7z", "7z (AES)") : null, Detector.Inspect(archive, "a.7z"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ALargeHeaderOfManyFilesIsDecoded(bool encrypted)
    {
        var files = Enumerable.Range(0, 500)
            .Select(i => ($"quarterly-dmarc-aggregate-report-{i:D4}-for-example.org.xml", LzmaDecoderTests.Sample(50 + i, i)))
            .ToArray();
        string[] switches = encrypted ? ["-pSECRET", "-ms=off"] : ["-ms=off"];
        var archive = await CompressionTools.SevenZipAsync(files, switches);
        Assert.Equal(0x17, NextHeader(archive)[0]);
        Assert.Equal(encrypted ? "7z (AES)" : null, Detector.Inspect(archive, "many.7z")?.Kind);
    }

    [Fact]
    public async Task AnEncrypted7zInsideZipsIsFound()
    {
        var encrypted = await CompressionTools.SevenZipAsync(Files(), "-pSECRET");
        var plain = await CompressionTools.SevenZipAsync(Files());
        var inner = TestMessages.PlainZip(("plain.7z", plain), ("docs.7z", encrypted));
        var outer = TestMessages.PlainZip(("readme.txt", "x"u8.ToArray()), ("inner.zip", inner));
        Assert.Equal(new EncryptedFinding("mail.zip/inner.zip/docs.7z", "7z (AES)"), Detector.Inspect(outer, "mail.zip"));
        Assert.Null(Detector.Inspect(TestMessages.PlainZip(("plain.7z", plain)), "mail.zip"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AHeaderCodedWithLzma2OrStoredIsRead(bool encrypted)
    {
        string[] switches = encrypted ? ["-pSECRET", "-mhc=off"] : ["-mhc=off"];
        var archive = await CompressionTools.SevenZipAsync(Files(), switches);
        var header = NextHeader(archive).ToArray();
        var lzma2 = await CompressionTools.XzAsync(header, "--format=raw", "--lzma2=preset=6");
        var expected = encrypted ? "7z (AES)" : null;
        Assert.Equal(expected, Detector.Inspect(WithEncodedHeader(archive, lzma2, [0x21, 0x21, 0x01, 0x10], (ulong)header.Length), "a.7z")?.Kind);
        Assert.Equal(expected, Detector.Inspect(WithEncodedHeader(archive, header, [0x01, 0x00], (ulong)header.Length), "a.7z")?.Kind);
    }

    [Fact]
    public async Task CutShort7zFilesAreNotInspectedAndDoNotCrash()
    {
        var archive = await CompressionTools.SevenZipAsync(Files(), "-pSECRET");
        for (var length = 6; length < archive.Length; length += 13)
            Assert.True(Detector.Inspect(archive.AsSpan(0, length), "cut.7z")?.NotInspected);
        Assert.Equal(new EncryptedFinding("cut.7z", "7z file cut short", NotInspected: true), Detector.Inspect(archive.AsSpan(0, 20), "cut.7z"));
    }

    [Fact]
    public async Task DamagedHeadersAreNeverTakenForACleanEncryptedArchive()
    {
        var archive = await CompressionTools.SevenZipAsync(Files(), "-pSECRET");
        var headerStart = archive.Length - NextHeader(archive).Length;
        // The packed header sits just before the next header: damage both, byte by byte.
        for (var at = headerStart - 60; at < archive.Length; at++)
        {
            var damaged = (byte[])archive.Clone();
            damaged[at] ^= 0x5A;
            Assert.NotNull(Detector.Inspect(damaged, "damaged.7z"));
        }
        // Random damage to a plain archive's header may leave it readable, but never throws.
        var plain = await CompressionTools.SevenZipAsync(Files(), "-m0=lzma2");
        var random = new Random(4);
        var from = plain.Length - NextHeader(plain).Length - 60;
        for (var i = 0; i < 3000; i++)
        {
            var damaged = (byte[])plain.Clone();
            for (var n = random.Next(1, 4); n > 0; n--)
                damaged[random.Next(from, damaged.Length)] = (byte)random.Next(256);
            Detector.Inspect(damaged, "damaged.7z");
        }
        var garbage = new byte[8192];
        new Random(3).NextBytes(garbage);
        archive.AsSpan(0, 32).CopyTo(garbage);
        Assert.True(Detector.Inspect(garbage, "garbage.7z")?.NotInspected);
    }

    [Fact]
    public async Task AbsurdSizesAndUnknownHeaderCodersAreNotInspected()
    {
        var archive = await CompressionTools.SevenZipAsync(Files(), "-mhc=off");
        var header = NextHeader(archive).ToArray();

        var huge = (byte[])archive.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(huge.AsSpan(20), 1UL << 40);
        Assert.Equal(NotInspected("7z start header CRC mismatch"), Detector.Inspect(huge, "a.7z"));
        Assert.Equal(NotInspected("7z header larger than 16777216 bytes"), Detector.Inspect(TestMessages.WithStartHeaderCrc(huge), "a.7z"));

        var lzma = await CompressionTools.XzAsync(header, "--format=lzma");
        byte[] lzmaCoder = [0x23, 0x03, 0x01, 0x01, 0x05, .. lzma.AsSpan(0, 5)];
        Assert.Equal(NotInspected("7z header larger than 16777216 bytes"), Detector.Inspect(WithEncodedHeader(archive, lzma[13..], lzmaCoder, 1UL << 30), "a.7z"));
        Assert.Equal(NotInspected("7z header: LZMA match goes on past the data's size"), Detector.Inspect(WithEncodedHeader(archive, lzma[13..], lzmaCoder, 100), "a.7z"));

        byte[] bcj = [0x04, 0x03, 0x03, 0x01, 0x03];
        Assert.Equal(NotInspected("7z header coded with 03030103 not supported"), Detector.Inspect(WithEncodedHeader(archive, header, bcj, (ulong)header.Length), "a.7z"));

        Assert.Equal(NotInspected("inflate limit reached, 10 bytes left for the message"),
            Detector.Inspect(WithEncodedHeader(archive, lzma[13..], lzmaCoder, (ulong)header.Length), "a.7z", budget: 10));
        Assert.Null(Detector.Inspect(WithEncodedHeader(archive, lzma[13..], lzmaCoder, (ulong)header.Length), "a.7z"));
    }

    [Fact]
    public void AnEmpty7zIsNotEncrypted()
    {
        var empty = new byte[32];
        TestMessages.SevenZip(false).AsSpan(0, 8).CopyTo(empty);
        Assert.Null(Detector.Inspect(TestMessages.WithStartHeaderCrc(empty), "empty.7z"));
    }

    [Fact]
    public async Task AnEncrypted7zWithAZeroedStartHeaderIsNotInspected()
    {
        // 7-Zip opens such a file anyway: it takes the zeroed start header for damage and finds the header at the tail.
        var archive = await CompressionTools.SevenZipAsync(Files(), "-pSECRET");
        var zeroed = (byte[])archive.Clone();
        zeroed.AsSpan(8, 24).Clear();
        Assert.Equal(NotInspected("7z start header zeroed"), Detector.Inspect(zeroed, "a.7z"));

        var plain = await CompressionTools.SevenZipAsync(Files());
        var damaged = (byte[])plain.Clone();
        damaged[9] ^= 1;
        Assert.Equal(NotInspected("7z start header CRC mismatch"), Detector.Inspect(damaged, "a.7z"));
        Assert.Null(Detector.Inspect(plain, "a.7z"));
    }

    [Theory]
    [InlineData(SevenZipHeader.MaxFolders, "7z (AES)")]
    [InlineData(SevenZipHeader.MaxFolders + 1, "7z header with 65537 folders, more than the 65536 inspected")]
    [InlineData(2_000_000, "7z header with 2000000 folders, more than the 65536 inspected")]
    public void AHeaderOfVeryManyFoldersIsReadInBoundedMemory(int folders, string kind)
    {
        // Minimal folders of one copy coder (three bytes each), the last one AES, each unpacking to zero bytes.
        List<byte> header = [0x01, 0x04, 0x07, 0x0B, .. SevenZipNumber((ulong)folders), 0x00];
        for (var i = 1; i < folders; i++)
            header.AddRange([0x01, 0x01, 0x00]);
        header.AddRange([0x01, 0x04, .. AesCoder]);
        header.Add(0x0C);
        header.AddRange(Enumerable.Repeat((byte)0x00, folders));
        header.AddRange([0x00, 0x00, 0x00]);
        var archive = SevenZipFile([.. header]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var finding = Detector.Inspect(archive, "a.7z");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(kind, finding?.Kind);
        Assert.Equal(folders > SevenZipHeader.MaxFolders, finding?.NotInspected);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void DeclaredCountsLargerThanTheHeaderAllocateNothing()
    {
        // A pack info and a folder list that each claim far more entries than the header holds.
        byte[][] headers =
        [
            [0x01, 0x04, 0x06, 0x00, .. SevenZipNumber(200_000), 0x09, 0x00, 0x00, 0x00],
            [0x01, 0x04, 0x07, 0x0B, .. SevenZipNumber(60_000), 0x00, 0x01, 0x01, 0x00],
            [0x01, 0x04, 0x06, 0x00, 0x01, 0x09, 0x00, 0x00, 0x07, 0x0B, 0x01, 0x00, 0x01, 0x01, 0x00, 0x0C, 0x00, 0x00, 0x08, 0x0D, .. SevenZipNumber(1UL << 40)],
        ];
        foreach (var header in headers)
        {
            var archive = SevenZipFile(header);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var finding = Detector.Inspect(archive, "a.7z");
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 10);
            Assert.True(finding?.NotInspected);
        }
    }

    /// <summary>A 7z file whose next header is <paramref name="header"/>, right after the start header.</summary>
    private static byte[] SevenZipFile(byte[] header)
    {
        var file = new byte[32 + header.Length];
        TestMessages.SevenZip(false).AsSpan(0, 8).CopyTo(file);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(20), (ulong)header.Length);
        header.CopyTo(file, 32);
        return TestMessages.WithStartHeaderCrc(file);
    }

    /// <summary>7z's UINT64 in its shortest form (7zFormat.txt).</summary>
    private static byte[] SevenZipNumber(ulong value)
    {
        if (value < 0x80)
            return [(byte)value];
        if (value < 0x4000)
            return [(byte)(0x80 | (value >> 8)), (byte)value];
        if (value < 0x20_0000)
            return [(byte)(0xC0 | (value >> 16)), (byte)value, (byte)(value >> 8)];
        return Number(value);
    }

    private static EncryptedFinding NotInspected(string why) => new("a.7z", why, NotInspected: true);

    /// <summary>
    /// <paramref name="archive"/> with its next header replaced by a kEncodedHeader (7zFormat.txt) whose one folder of
    /// one <paramref name="coder"/> (flags, id, properties) unpacks <paramref name="packed"/> to
    /// <paramref name="unpackSize"/> bytes. The start header's CRC is set; the others are left stale, as the reader
    /// does not check them.
    /// </summary>
    private static byte[] WithEncodedHeader(byte[] archive, byte[] packed, byte[] coder, ulong unpackSize)
    {
        var packPosition = BinaryPrimitives.ReadUInt64LittleEndian(archive.AsSpan(12));
        byte[] info = [0x17, 0x06, .. Number(packPosition), 0x01, 0x09, .. Number((ulong)packed.Length), 0x00,
            0x07, 0x0B, 0x01, 0x00, 0x01, .. coder, 0x0C, .. Number(unpackSize), 0x00, 0x00];
        byte[] file = [.. archive.AsSpan(0, 32 + (int)packPosition), .. packed, .. info];
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(12), packPosition + (ulong)packed.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(20), (ulong)info.Length);
        return TestMessages.WithStartHeaderCrc(file);
    }

    /// <summary>7z's UINT64 in its longest form: 0xFF, then eight little-endian bytes.</summary>
    private static byte[] Number(ulong value)
    {
        var bytes = new byte[9];
        bytes[0] = 0xFF;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1), value);
        return bytes;
    }
}
