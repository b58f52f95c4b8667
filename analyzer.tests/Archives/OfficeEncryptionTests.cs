using System.Buffers.Binary;
using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Tests.Filter;

namespace DmarcAnalyzer.Tests.Archives;

/// <summary>
/// Files built per [MS-DOC], [MS-XLS], [MS-PPT] and [MS-OFFCRYPTO] for what LibreOffice does not write (encrypted
/// PowerPoint and OOXML, XOR obfuscation, odd record orders): bytes only, no LibreOffice needed
/// (<see cref="LibreOfficeFileTests"/> has the real files).
/// </summary>
public sealed class OfficeEncryptionTests
{
    internal static readonly EncryptedContentDetector Detector = new(maxDepth: 3, maxMembers: 1000);

    private static byte[] Fib(ushort flags, ushort ident = 0xA5EC)
    {
        var fib = new byte[0x200];
        BinaryPrimitives.WriteUInt16LittleEndian(fib, ident);
        BinaryPrimitives.WriteUInt16LittleEndian(fib.AsSpan(2), 0x00C1);
        BinaryPrimitives.WriteUInt16LittleEndian(fib.AsSpan(0x0A), flags);
        return fib;
    }

    [Theory]
    [InlineData(0x0000, null)]
    [InlineData(0x0200, null)]
    [InlineData(0x8000, null)]
    [InlineData(0x0100, "Word 97-2003 (encrypted)")]
    [InlineData(0x8100, "Word 97-2003 (XOR obfuscation)")]
    public void Word_is_encrypted_by_the_fib_flags(int flags, string? kind) =>
        Assert.Equal(kind, OfficeEncryption.Detect(CompoundFileBuilder.Build(("WordDocument", Fib((ushort)flags)), ("1Table", new byte[100])))?.Kind);

    [Theory]
    [InlineData(0x0000, null)]
    [InlineData(0x0100, "Word 6.0/95 (encrypted)")]
    public void Word_95_is_read_by_the_same_header(int flags, string? kind) =>
        Assert.Equal(kind, OfficeEncryption.Detect(CompoundFileBuilder.Build(("WordDocument", Fib((ushort)flags, ident: 0xA5DC))))?.Kind);

    [Fact]
    public void A_word_stream_without_a_fib_is_not_inspected()
    {
        var finding = OfficeEncryption.Detect(CompoundFileBuilder.Build(("WordDocument", Fib(0, ident: 0x1234))));
        Assert.Equal(new FormatFinding("WordDocument stream without a Word 97-2003 FIB", NotInspected: true), finding);
    }

    private static byte[] Record(ushort type, params byte[] data)
    {
        var record = new byte[4 + data.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(record, type);
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(2), (ushort)data.Length);
        data.CopyTo(record, 4);
        return record;
    }

    private static byte[] Workbook(params byte[][] records) =>
        [.. Record(0x0809, new byte[16]), .. records.SelectMany(r => r), .. Record(0x00E1, 0xB0, 0x04), .. new byte[4096]];

    [Fact]
    public void Excel_is_encrypted_by_a_filepass_record_after_the_first_bof()
    {
        byte[] rc4 = [0x01, 0x00, 0x01, 0x00, .. new byte[48]];
        Assert.Equal("Excel 97-2003 (RC4)", OfficeEncryption.Detect(CompoundFileBuilder.Build(("Workbook", Workbook(Record(0x002F, rc4)))))?.Kind);
        Assert.Equal("Excel 97-2003 (XOR obfuscation)",
            OfficeEncryption.Detect(CompoundFileBuilder.Build(("Workbook", Workbook(Record(0x0086), Record(0x002F, 0, 0, 1, 2, 3, 4)))))?.Kind);
        Assert.Equal("Excel 5.0/95 (FilePass)", OfficeEncryption.Detect(CompoundFileBuilder.Build(("Book", Workbook(Record(0x002F, 1, 2, 3, 4)))))?.Kind);
        Assert.Null(OfficeEncryption.Detect(CompoundFileBuilder.Build(("Workbook", Workbook(Record(0x0086))))));
        Assert.Null(OfficeEncryption.Detect(CompoundFileBuilder.Build(("Workbook", Workbook()))));
        Assert.Equal(new FormatFinding("Workbook stream does not start with a BOF record", NotInspected: true),
            OfficeEncryption.Detect(CompoundFileBuilder.Build(("Workbook", Record(0x0001, 1, 2)))));
        Assert.Equal(new FormatFinding("Workbook stream ends within its first records", NotInspected: true),
            OfficeEncryption.Detect(CompoundFileBuilder.Build(("Workbook", Record(0x0809, new byte[16])))));
    }

    internal static byte[] CurrentUser(uint token)
    {
        var atom = new byte[0x30];
        BinaryPrimitives.WriteUInt16LittleEndian(atom.AsSpan(2), 0x0FF6);
        BinaryPrimitives.WriteUInt32LittleEndian(atom.AsSpan(4), (uint)atom.Length - 8);
        BinaryPrimitives.WriteUInt32LittleEndian(atom.AsSpan(8), 0x14);
        BinaryPrimitives.WriteUInt32LittleEndian(atom.AsSpan(12), token);
        return atom;
    }

    [Fact]
    public void PowerPoint_is_encrypted_by_the_current_user_header_token()
    {
        static FormatFinding? Detect(params (string, byte[])[] streams) =>
            OfficeEncryption.Detect(CompoundFileBuilder.Build([("PowerPoint Document", new byte[5000]), .. streams]));
        Assert.Equal("PowerPoint 97-2003 (encrypted)", Detect(("Current User", CurrentUser(0xF3D1C4DF)))?.Kind);
        Assert.Null(Detect(("Current User", CurrentUser(0xE391C05F))));
        Assert.Equal(new FormatFinding("PowerPoint CurrentUserAtom with header token 0x12345678", NotInspected: true),
            Detect(("Current User", CurrentUser(0x12345678))));
        Assert.Equal(new FormatFinding("PowerPoint document without a CurrentUserAtom", NotInspected: true), Detect());
    }

    [Fact]
    public void An_encrypted_ooxml_package_is_found_through_the_directory()
    {
        Assert.Equal(new FormatFinding("Office (encrypted package)"),
            OfficeEncryption.Detect(CompoundFileBuilder.Build(("EncryptionInfo", new byte[200]), ("EncryptedPackage", new byte[9000]))));
        Assert.True(OfficeEncryption.Detect(CompoundFileBuilder.Build(("EncryptedPackage", new byte[9000])))?.NotInspected);
        // The name elsewhere than in the directory (here inside a stream) does not count.
        Assert.Null(OfficeEncryption.Detect(CompoundFileBuilder.Build(("Other", "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0"u8.ToArray()))));
    }

    [Fact]
    public void Other_compound_files_are_clean_and_unreadable_ones_not_inspected()
    {
        Assert.Null(OfficeEncryption.Detect(CompoundFileBuilder.Build(("__properties_version1.0", new byte[64]))));
        var broken = CompoundFileBuilder.Build(("WordDocument", Fib(0x0100)));
        CompoundFileBuilder.SetFatEntry(broken, BinaryPrimitives.ReadUInt32LittleEndian(broken.AsSpan(0x30)), 0x00FFFFFF);
        var zip = TestMessages.PlainZip(("readme.txt", "x"u8.ToArray()), ("broken.doc", broken.AsSpan(0, 1100).ToArray()));
        var finding = Detector.Inspect(zip, "mail.zip");
        Assert.NotNull(finding);
        Assert.True(finding.NotInspected);
        Assert.Equal("mail.zip/broken.doc", finding.Path);
        Assert.StartsWith("compound file unreadable: ", finding.Kind);
    }
}
