using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Tests.Archives;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>
/// Ways around the encrypted-archive rule (issue 14): formats found only at byte 0, a central directory and local
/// headers that disagree, ZIP64 end records, damaged structure, and the cost of one message. Archives come from the
/// real tools (Info-ZIP's zip, 7-Zip, Python's zipfile) and are then altered as an attacker would.
/// </summary>
public sealed class ArchiveEvasionTests
{
    private static readonly EncryptedContentDetector Detector = new(maxDepth: 3, maxMembers: 1000);
    private static readonly byte[] Secret = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("quarterly figures ", 200)));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Python's zipfile lists each member with its encryption bit as it reads the ZIP on its standard input.</summary>
    private const string PythonList =
        "import io, sys, zipfile\nz = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))\n"
        + "print(' '.join(f'{i.filename}:{i.flag_bits & 1}' for i in z.infolist()))";

    private static Task<byte[]> ZipWithPasswordAsync() => CompressionTools.ZipAsync([("secret.txt", Secret)], "-P", "SECRET");

    private static async Task<string> PythonSeesAsync(byte[] zip) => Encoding.UTF8.GetString(await CompressionTools.PythonAsync(PythonList, zip)).Trim();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    public async Task APasswordProtectedZipIsFoundWithBytesPutInFront(int prepended)
    {
        var zip = Prepend(await ZipWithPasswordAsync(), prepended);
        Assert.Equal("secret.txt:1", await PythonSeesAsync(zip));
        Assert.Equal(new EncryptedFinding("a.zip/secret.txt", "ZIP (PKWARE)"), Detector.Inspect(zip, "a.zip"));
    }

    [Theory]
    [InlineData("-mem=ZipCrypto", "ZIP (PKWARE)")]
    [InlineData("-mem=AES256", "ZIP (AES)")]
    public async Task AZipEncryptedBy7zipIsFoundWithBytesPutInFront(string method, string kind)
    {
        var zip = Prepend(await CompressionTools.SevenZipAsync([("secret.txt", Secret)], "-tzip", "-pSECRET", method), 3000);
        Assert.Equal(new EncryptedFinding("a.zip/secret.txt", kind), Detector.Inspect(zip, "a.zip"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EncryptionFlagsClearedInOneOfTheTwoDirectoriesDoNotHideTheMember(bool local)
    {
        var zip = WithEncryptionFlagCleared(await ZipWithPasswordAsync(), local);
        Assert.Equal($"secret.txt:{(local ? 1 : 0)}", await PythonSeesAsync(zip));
        Assert.Equal(new EncryptedFinding("a.zip/secret.txt", "ZIP (PKWARE)"), Detector.Inspect(zip, "a.zip"));
    }

    [Fact]
    public async Task AZip64EndRecordWithLocalFlagsClearedStillShowsTheEncryptedMember()
    {
        var zip = Prepend(WithEncryptionFlagCleared(WithZip64End(await ZipWithPasswordAsync()), local: true), 100);
        Assert.Equal("secret.txt:1", await PythonSeesAsync(zip));
        Assert.Equal(new EncryptedFinding("a.zip/secret.txt", "ZIP (PKWARE)"), Detector.Inspect(zip, "a.zip"));
    }

    [Fact]
    public async Task APlainZipWithAZip64EndRecordOrDataDescriptorsIsClean()
    {
        var plain = await CompressionTools.ZipAsync([("a.txt", Secret)]);
        Assert.Null(Detector.Inspect(WithZip64End(plain), "a.zip"));
        // Written to a pipe, zipfile cannot seek back: sizes and CRCs follow the data in data descriptors.
        var streamed = await CompressionTools.PythonAsync(
            "import sys, zipfile\nwith zipfile.ZipFile(sys.stdout.buffer, 'w', zipfile.ZIP_DEFLATED) as z:\n"
            + "    z.writestr('a.txt', sys.stdin.buffer.read())\n    z.writestr('b/c.txt', b'c')", Secret);
        Assert.Equal(0x0008, BinaryPrimitives.ReadUInt16LittleEndian(streamed.AsSpan(6)) & 0x0008);
        Assert.Null(Detector.Inspect(Prepend(streamed, 10), "a.zip"));
    }

    [Fact]
    public async Task DamagedOrDisagreeingZipStructureIsNotInspected()
    {
        var plain = await CompressionTools.ZipAsync([("a.txt", Secret), ("b.txt", Secret)]);
        var end = plain.Length - 22;

        var missingZip64 = (byte[])plain.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(missingZip64.AsSpan(end + 16), 0xFFFFFFFF);
        AssertNotInspected("end record points to ZIP64 records that are missing", missingZip64);

        var miscounted = (byte[])plain.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(miscounted.AsSpan(end + 8), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(miscounted.AsSpan(end + 10), 1);
        AssertNotInspected("central directory size and its entries disagree", miscounted);

        var renamed = (byte[])plain.Clone();
        renamed[30] = (byte)'x';
        AssertNotInspected("central directory and local header of a.txt disagree", renamed);

        var methodChanged = (byte[])plain.Clone();
        methodChanged[8] = 0;
        AssertNotInspected("central directory and local header of a.txt disagree", methodChanged);

        var wrongCrc = (byte[])plain.Clone();
        wrongCrc[14] ^= 1;
        var central = plain.AsSpan().IndexOf("PK\u0001\u0002"u8);
        wrongCrc[central + 16] ^= 1;
        Assert.Equal(new EncryptedFinding("a.zip/a.txt", "damaged member (CRC mismatch)", NotInspected: true), Detector.Inspect(wrongCrc, "a.zip"));

        var noEnd = plain[..central];
        AssertNotInspected("no end of central directory record", Prepend(noEnd, 7));
    }

    [Fact]
    public async Task AMemberTheCentralDirectoryDoesNotListIsNotInspected()
    {
        // The encrypted member's local header and data, then a plain ZIP whose offsets count from after them: unzip
        // and zipfile list the plain member, a reader of local headers finds the encrypted one first.
        var encrypted = await ZipWithPasswordAsync();
        var hidden = encrypted[..encrypted.AsSpan().IndexOf("PK\u0001\u0002"u8)];
        var zip = hidden.Concat(await CompressionTools.ZipAsync([("a.txt", Secret)])).ToArray();
        Assert.Equal("a.txt:0", await PythonSeesAsync(zip));
        AssertNotInspected("a local header the central directory does not list", zip);
    }

    [Fact]
    public async Task EncryptedZipLocalHeadersWithoutACentralDirectoryAreFound()
    {
        var encrypted = await ZipWithPasswordAsync();
        var headersOnly = encrypted[..encrypted.AsSpan().IndexOf("PK\u0001\u0002"u8)];
        Assert.Equal(new EncryptedFinding("a.zip/secret.txt", "ZIP (PKWARE)"), Detector.Inspect(Prepend(headersOnly, 50), "a.zip"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnEncrypted7zIsFoundAfterBytesPutInFront(bool encryptedHeader)
    {
        var archive = await CompressionTools.SevenZipAsync([("secret.txt", Secret)], encryptedHeader ? ["-pSECRET", "-mhe=on"] : ["-pSECRET"]);
        Assert.Equal("7z (AES)", Detector.Inspect(Prepend(archive, 3000), "a.7z")?.Kind);
        var plain = await CompressionTools.SevenZipAsync([("a.txt", Secret)]);
        Assert.Null(Detector.Inspect(Prepend(plain, 3000), "a.7z"));
    }

    [Fact]
    public void A7zOrRarSignatureInOtherBytesIsNotAnArchive()
    {
        var bytes = Prepend([], 8192);
        TestMessages.SevenZip(true).AsSpan(0, 6).CopyTo(bytes.AsSpan(1000));
        TestMessages.Rar5(true).AsSpan(0, 8).CopyTo(bytes.AsSpan(3000));
        TestMessages.Rar4(true, true).AsSpan(0, 7).CopyTo(bytes.AsSpan(5000));
        Assert.Null(Detector.Inspect(bytes, "a.bin"));
    }

    [Fact]
    public void RarArchivesAreFoundAfterBytesPutInFrontAndDamagedOnesAreNotInspected()
    {
        Assert.Equal("RAR 4", Detector.Inspect(Prepend(WithRar4MainHeaderCrc(TestMessages.Rar4(false, true)), 500), "a.rar")?.Kind);
        Assert.Equal("RAR 5", Detector.Inspect(Prepend(WithRar5FirstHeaderCrc(TestMessages.Rar5(true)), 500), "a.rar")?.Kind);
        Assert.Null(Detector.Inspect(Prepend(WithRar4MainHeaderCrc(TestMessages.Rar4(false, false)), 500), "a.rar"));

        var cut = TestMessages.Rar4(false, false);
        AssertNotInspected("RAR 4 block runs past the file", cut[..^9]);
        var rar5 = TestMessages.Rar5(false);
        AssertNotInspected("RAR 5 headers cut short", rar5[..^4]);
    }

    [Theory]
    [InlineData(0, "/Encrypt 5 0 R", "PDF")]
    [InlineData(1000, "/Encrypt 5 0 R", "PDF")]
    [InlineData(0, "/Encr#79pt 5 0 R", "PDF")]
    [InlineData(0, "/#45ncrypt<</Filter/Standard>>", "PDF")]
    [InlineData(2000, "/Encrypt 5 0 R", null)]
    [InlineData(0, "/Encrypted 5", null)]
    public void AnEncryptedPdfIsFoundWhereReadersAcceptItsHeader(int prepended, string trailer, string? kind) =>
        Assert.Equal(kind, Detector.Inspect(Prepend(TestMessages.Pdf(trailer), prepended), "a.pdf")?.Kind);

    [Fact]
    public async Task APdfWithAnEncryptedZipAfterItIsFound()
    {
        var polyglot = TestMessages.Pdf("").Concat(await ZipWithPasswordAsync()).ToArray();
        Assert.Equal(new EncryptedFinding("a.pdf/secret.txt", "ZIP (PKWARE)"), Detector.Inspect(polyglot, "a.pdf"));
    }

    [Fact]
    public void TheBudgetIsTheMessageSAcrossItsAttachments()
    {
        var zip = TestMessages.PlainZip(("zeros.bin", new byte[600_000]));
        var budget = new InspectionBudget(1 << 20, CancellationToken.None);
        Assert.Null(Detector.Inspect(zip, "first.zip", budget));
        var second = Detector.Inspect(zip, "second.zip", budget);
        Assert.Equal("second.zip/zeros.bin", second?.Path);
        Assert.StartsWith("inflate limit reached", second?.Kind);
        Assert.True(second?.NotInspected);
    }

    [Fact]
    public async Task CancelledChecksStopWithTheCancellationNotAVerdict()
    {
        var archive = await CompressionTools.SevenZipAsync([("a.txt", Secret)]);
        var cancelled = new InspectionBudget(1 << 20, new CancellationToken(canceled: true));
        Assert.Throws<OperationCanceledException>(() => Detector.Inspect(archive, "a.7z", cancelled));
        Assert.Throws<OperationCanceledException>(() => Detector.Inspect(TestMessages.PlainZip(("a", Secret)), "a.zip", cancelled));
    }

    [Fact]
    public async Task ContentChecksPastTheirTimeLimitGetTheConfiguredAction()
    {
        var message = TestMessages.Multipart("a@partner.example", TestMessages.Attachment("a.zip", TestMessages.PlainZip(("a.txt", Secret))));
        var options = new FilterOptions { ContentTimeLimit = TimeSpan.Zero };
        var engine = new FilterEngine(() => options, TimeProvider.System, NullLogger<FilterEngine>.Instance);
        var envelope = new MessageEnvelope("Q1", "192.0.2.1", "mx.partner.example", "mx.partner.example", "a@partner.example", ["b@example.net"], null, "smtpd");
        var verdict = await engine.DecideAsync(envelope, TestMessages.Headers(message), new MemoryStream(message), MessageCompleteness.Whole, Ct);
        Assert.Equal(VerdictAction.Reject, verdict.Action);
        Assert.Equal("archive could not be fully inspected: content checks took longer than Filter:ContentTimeLimit (0 s): the message", verdict.Reason);
    }

    private void AssertNotInspected(string kind, byte[] zip) =>
        Assert.Equal(new EncryptedFinding("a.zip", kind, NotInspected: true), Detector.Inspect(zip, "a.zip"));

    /// <summary><paramref name="count"/> random bytes (always the same ones), then <paramref name="file"/>.</summary>
    private static byte[] Prepend(byte[] file, int count)
    {
        var bytes = new byte[count + file.Length];
        new Random(count).NextBytes(bytes.AsSpan(0, count));
        file.CopyTo(bytes, count);
        return bytes;
    }

    /// <summary>General purpose bit 0 cleared in every local header, or in every central directory entry.</summary>
    private static byte[] WithEncryptionFlagCleared(byte[] zip, bool local)
    {
        var copy = (byte[])zip.Clone();
        var (signature, flagsAt) = local ? (0x04034b50u, 6) : (0x02014b50u, 8);
        for (var at = 0; at + 4 <= copy.Length; at++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(at)) == signature)
                copy[at + flagsAt] &= 0xFE;
        }
        return copy;
    }

    /// <summary>
    /// The ZIP with its end record saturated and pointing to a ZIP64 end record and locator inserted before it
    /// (APPNOTE 4.3.14-16), as a writer of a ZIP past the classic limits makes it.
    /// </summary>
    private static byte[] WithZip64End(byte[] zip)
    {
        var end = zip.Length - 22;
        var count = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(end + 10));
        var size = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(end + 12));
        var offset = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(end + 16));
        using var output = new MemoryStream();
        var writer = new BinaryWriter(output);
        writer.Write(zip, 0, end);
        writer.Write(0x06064b50u);
        writer.Write(44UL);
        writer.Write((ushort)45);
        writer.Write((ushort)45);
        writer.Write(0u);
        writer.Write(0u);
        writer.Write((ulong)count);
        writer.Write((ulong)count);
        writer.Write((ulong)size);
        writer.Write((ulong)offset);
        writer.Write(0x07064b50u);
        writer.Write(0u);
        writer.Write((ulong)end);
        writer.Write(1u);
        writer.Write(0x06054b50u);
        writer.Write(0u);
        writer.Write((ushort)0xFFFF);
        writer.Write((ushort)0xFFFF);
        writer.Write(0xFFFFFFFFu);
        writer.Write(0xFFFFFFFFu);
        writer.Write((ushort)0);
        writer.Flush();
        return output.ToArray();
    }

    /// <summary>RAR 4's main header CRC: the low 16 bits of CRC-32 over the header after the field.</summary>
    private static byte[] WithRar4MainHeaderCrc(byte[] rar)
    {
        var size = BinaryPrimitives.ReadUInt16LittleEndian(rar.AsSpan(7 + 5));
        BinaryPrimitives.WriteUInt16LittleEndian(rar.AsSpan(7), (ushort)Crc32.HashToUInt32(rar.AsSpan(7 + 2, size - 2)));
        return rar;
    }

    /// <summary>RAR 5's first header CRC-32 over its one-byte size field and the header.</summary>
    private static byte[] WithRar5FirstHeaderCrc(byte[] rar)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(rar.AsSpan(8), Crc32.HashToUInt32(rar.AsSpan(12, 1 + rar[12])));
        return rar;
    }
}
