using System.Buffers.Binary;

namespace DmarcAnalyzer.Archives;

/// <summary>
/// Recognises password-protected Office files stored as compound files: OOXML documents wrapped in an encrypted
/// package, and Word, Excel and PowerPoint 97-2003 documents by the flag or record their format sets for a password.
/// A compound file, or an Office stream in it, that cannot be read is not inspected rather than taken as clean.
/// </summary>
internal static class OfficeEncryption
{
    /// <summary>Enough of a stream for the fields read below, and small enough to read for every attachment.</summary>
    private const int StreamStartBytes = 4096;

    private const ushort WordIdent = 0xA5EC;

    /// <summary>Word 6.0 and 95 wrote 0xA5DC; the FIB's header, fEncrypted included, was the same before Word 97 reorganised the rest.</summary>
    private const ushort Word6Ident = 0xA5DC;
    private const ushort FibEncrypted = 0x0100;
    private const ushort FibObfuscated = 0x8000;
    private const ushort BofRecord = 0x0809;
    private const ushort WriteProtectRecord = 0x0086;
    private const ushort FilePassRecord = 0x002F;
    private const ushort CurrentUserAtomType = 0x0FF6;
    private const uint PlainHeaderToken = 0xE391C05F;
    private const uint EncryptedHeaderToken = 0xF3D1C4DF;

    /// <summary>The finding for the compound file <paramref name="data"/>, or null when it is not a protected Office file.</summary>
    public static FormatFinding? Detect(ReadOnlySpan<byte> data)
    {
        if (!CompoundFile.TryOpen(data, out var file, out var failure))
            return new FormatFinding($"compound file unreadable: {failure}", NotInspected: true);
        // [MS-OFFCRYPTO] 2.3.4.4: an encrypted OOXML file is the package in "EncryptedPackage", described by "EncryptionInfo".
        if (file.HasStream("EncryptedPackage"))
        {
            return file.HasStream("EncryptionInfo")
                ? new FormatFinding("Office (encrypted package)")
                : new FormatFinding("EncryptedPackage without EncryptionInfo", NotInspected: true);
        }
        return Word(file) ?? Excel(file, "Workbook") ?? Excel(file, "Book") ?? PowerPoint(file);
    }

    /// <summary>
    /// Word 97-2003 ([MS-DOC] 2.5.2 FibBase at the start of "WordDocument"): wIdent 0xA5EC; in the flags at 0x0A,
    /// fEncrypted (0x0100) marks a password, with fObfuscated (0x8000) for XOR obfuscation (2.2.6.1) rather than RC4.
    /// </summary>
    private static FormatFinding? Word(CompoundFile file)
    {
        if (!file.TryReadStart("WordDocument", StreamStartBytes, out var fib, out var failure))
            return new FormatFinding(failure, NotInspected: true);
        if (fib is null)
            return null;
        var ident = fib.Length < 0x0C ? 0 : BinaryPrimitives.ReadUInt16LittleEndian(fib);
        if (ident is not (WordIdent or Word6Ident))
            return new FormatFinding("WordDocument stream without a Word 97-2003 FIB", NotInspected: true);
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(fib.AsSpan(0x0A));
        if ((flags & FibEncrypted) == 0)
            return null;
        if (ident == Word6Ident)
            return new FormatFinding("Word 6.0/95 (encrypted)");
        return new FormatFinding((flags & FibObfuscated) != 0 ? "Word 97-2003 (XOR obfuscation)" : "Word 97-2003 (encrypted)");
    }

    /// <summary>
    /// Excel: the workbook stream ("Workbook", or "Book" for BIFF5) is a run of records (type, size, data); its
    /// globals substream opens BOF [WriteProtect] [FilePass], and a FilePass record means a password ([MS-XLS]
    /// 2.1.7.20.3, 2.4.117), its first field 0 for XOR obfuscation and 1 for RC4.
    /// </summary>
    private static FormatFinding? Excel(CompoundFile file, string streamName)
    {
        if (!file.TryReadStart(streamName, StreamStartBytes, out var records, out var failure))
            return new FormatFinding(failure, NotInspected: true);
        if (records is null)
            return null;
        if (records.Length < 4 || BinaryPrimitives.ReadUInt16LittleEndian(records) != BofRecord)
            return new FormatFinding($"{streamName} stream does not start with a BOF record", NotInspected: true);
        var at = 4 + BinaryPrimitives.ReadUInt16LittleEndian(records.AsSpan(2));
        if (at + 4 <= records.Length && BinaryPrimitives.ReadUInt16LittleEndian(records.AsSpan(at)) == WriteProtectRecord)
            at += 4 + BinaryPrimitives.ReadUInt16LittleEndian(records.AsSpan(at + 2));
        if (at + 4 > records.Length)
            return new FormatFinding($"{streamName} stream ends within its first records", NotInspected: true);
        if (BinaryPrimitives.ReadUInt16LittleEndian(records.AsSpan(at)) != FilePassRecord)
            return null;
        if (streamName == "Book")
            return new FormatFinding("Excel 5.0/95 (FilePass)");
        var method = at + 6 <= records.Length ? BinaryPrimitives.ReadUInt16LittleEndian(records.AsSpan(at + 4)) : -1;
        return new FormatFinding(method switch
        {
            0 => "Excel 97-2003 (XOR obfuscation)",
            1 => "Excel 97-2003 (RC4)",
            _ => "Excel 97-2003 (FilePass)",
        });
    }

    /// <summary>
    /// PowerPoint 97-2003: the "Current User" stream holds one CurrentUserAtom ([MS-PPT] 2.3.2): a record header of
    /// type 0x0FF6, its size, then headerToken, 0xF3D1C4DF when the document is encrypted and 0xE391C05F when not.
    /// </summary>
    private static FormatFinding? PowerPoint(CompoundFile file)
    {
        if (!file.HasStream("PowerPoint Document"))
            return null;
        if (!file.TryReadStart("Current User", 16, out var atom, out var failure))
            return new FormatFinding(failure, NotInspected: true);
        if (atom is null || atom.Length < 16 || BinaryPrimitives.ReadUInt16LittleEndian(atom.AsSpan(2)) != CurrentUserAtomType)
            return new FormatFinding("PowerPoint document without a CurrentUserAtom", NotInspected: true);
        return BinaryPrimitives.ReadUInt32LittleEndian(atom.AsSpan(12)) switch
        {
            EncryptedHeaderToken => new FormatFinding("PowerPoint 97-2003 (encrypted)"),
            PlainHeaderToken => null,
            var token => new FormatFinding($"PowerPoint CurrentUserAtom with header token 0x{token:X8}", NotInspected: true),
        };
    }
}
