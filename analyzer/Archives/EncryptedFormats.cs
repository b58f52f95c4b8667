using System.Buffers.Binary;

namespace DmarcAnalyzer.Archives;

/// <summary>What a file's own format says: encrypted, of <paramref name="Kind"/>, or, when
/// <paramref name="NotInspected"/>, a file whose structure could not be read (and <paramref name="Kind"/> says why).</summary>
internal sealed record FormatFinding(string Kind, bool NotInspected = false);

/// <summary>
/// Recognises encrypted 7z, RAR, PDF and Office files from their bytes, where the common tools find them: 7-Zip opens
/// a 7z or RAR archive anywhere in a file (after a self-extractor, or any bytes), PDF readers take <c>%PDF-</c>
/// within the first 1,024 bytes. A signature found past byte 0 counts when the header after it checks out (its CRC),
/// as 7-Zip's search does, so that random bytes holding one are not taken for an archive. Once a format is
/// recognised, structure that cannot be read is not taken as clean: a 7z file is read to its coders (compressed
/// headers included), a RAR file block by block to its end, an Office compound file to its directory and document
/// streams (<see cref="OfficeEncryption"/>).
/// </summary>
internal static class EncryptedFormats
{
    private static ReadOnlySpan<byte> SevenZipSignature => [(byte)'7', (byte)'z', 0xBC, 0xAF, 0x27, 0x1C];
    private static ReadOnlySpan<byte> RarSignature => [(byte)'R', (byte)'a', (byte)'r', (byte)'!', 0x1A, 0x07];

    /// <summary>PDF readers accept the header this far into the file (Adobe's implementation notes to ISO 32000-1).</summary>
    private const int PdfHeaderWindow = 1024;

    /// <summary>More blocks than any real RAR file of an attachment's size; the walk stops there as damage.</summary>
    private const int MaxRarBlocks = 100_000;

    /// <summary>
    /// The finding when <paramref name="data"/> is, or holds where a tool would open it, an encrypted file of a known
    /// kind (it wins), else one that could not be read, else null. Decoding a 7z header spends from <paramref name="budget"/>.
    /// </summary>
    public static FormatFinding? Detect(ReadOnlySpan<byte> data, InspectionBudget budget)
    {
        FormatFinding? notInspected = null;
        if (Keep(SevenZip(data, budget), ref notInspected) is { } sevenZip)
            return sevenZip;
        if (Keep(Rar(data, budget), ref notInspected) is { } rar)
            return rar;
        if (data[..Math.Min(PdfHeaderWindow, data.Length)].IndexOf("%PDF-"u8) >= 0 && PdfEncrypted(data))
            return new FormatFinding("PDF");
        // A compound file's sectors are numbered from its first byte: Office opens one only at byte 0.
        if (data.StartsWith(CompoundFile.Signature) && Keep(OfficeEncryption.Detect(data), ref notInspected) is { } office)
            return office;
        return notInspected;
    }

    /// <summary>An encrypted finding passes through; one of a file not inspected is kept, the first of them.</summary>
    private static FormatFinding? Keep(FormatFinding? finding, ref FormatFinding? notInspected)
    {
        if (finding is not { NotInspected: true })
            return finding;
        notInspected ??= finding;
        return null;
    }

    /// <summary>Every 7z archive in <paramref name="data"/>: at byte 0, or later with a start header whose CRC holds.</summary>
    private static FormatFinding? SevenZip(ReadOnlySpan<byte> data, InspectionBudget budget)
    {
        FormatFinding? notInspected = null;
        for (var from = 0; ;)
        {
            var found = data[from..].IndexOf(SevenZipSignature);
            if (found < 0)
                return notInspected;
            var at = from + found;
            var archive = data[at..];
            if (at == 0 || SevenZipHeader.StartHeaderHolds(archive))
            {
                switch (SevenZipHeader.UsesAes(archive, budget, out var unreadable))
                {
                    case true:
                        return new FormatFinding("7z (AES)");
                    case null:
                        notInspected ??= new FormatFinding(unreadable ?? "7z header unreadable", NotInspected: true);
                        break;
                }
            }
            from = at + 1;
        }
    }

    /// <summary>Every RAR archive in <paramref name="data"/>: at byte 0, or later with a first header whose CRC holds.</summary>
    private static FormatFinding? Rar(ReadOnlySpan<byte> data, InspectionBudget budget)
    {
        FormatFinding? notInspected = null;
        for (var from = 0; ;)
        {
            var found = data[from..].IndexOf(RarSignature);
            if (found < 0)
                return notInspected;
            var at = from + found;
            var archive = data[at..];
            budget.ThrowIfCancelled();
            FormatFinding? finding = null;
            if (archive.Length > 7 && archive[6] == 0x00 && (at == 0 || Rar4MainHeaderHolds(archive)))
                finding = Rar4(archive);
            else if (archive.Length > 8 && archive[6] == 0x01 && archive[7] == 0x00 && (at == 0 || Rar5FirstHeaderHolds(archive)))
                finding = Rar5(archive);
            if (finding is { NotInspected: false })
                return finding;
            notInspected ??= finding;
            from = at + 1;
        }
    }

    /// <summary>RAR 4: the main header's CRC, the low 16 bits of CRC-32 over the header after the field (technote.txt).</summary>
    private static bool Rar4MainHeaderHolds(ReadOnlySpan<byte> archive)
    {
        if (archive.Length < 7 + 7)
            return false;
        var size = BinaryPrimitives.ReadUInt16LittleEndian(archive[(7 + 5)..]);
        return archive[7 + 2] == 0x73 && size >= 7 && 7 + size <= archive.Length
            && (ushort)System.IO.Hashing.Crc32.HashToUInt32(archive.Slice(7 + 2, size - 2)) == BinaryPrimitives.ReadUInt16LittleEndian(archive[7..]);
    }

    /// <summary>RAR 5: the first header's CRC-32, over its size field and the header (RAR 5.0 archive format).</summary>
    private static bool Rar5FirstHeaderHolds(ReadOnlySpan<byte> archive)
    {
        var pos = 12;
        if (archive.Length <= pos || !ReadVInt(archive, ref pos, out var size) || size > (ulong)(archive.Length - pos))
            return false;
        return System.IO.Hashing.Crc32.HashToUInt32(archive[12..(pos + (int)size)]) == BinaryPrimitives.ReadUInt32LittleEndian(archive[8..]);
    }

    /// <summary>
    /// RAR 4: the main header's flag 0x0080 encrypts headers, a file or service header's flag 0x0004 a file
    /// (technote.txt). The blocks are walked to the end-of-archive block or the end of the data; one that does not
    /// fit is damage.
    /// </summary>
    private static FormatFinding? Rar4(ReadOnlySpan<byte> data)
    {
        long at = 7;
        for (var blocks = 0; at != data.Length; blocks++)
        {
            if (blocks == MaxRarBlocks)
                return new FormatFinding($"RAR 4 archive of more than {MaxRarBlocks} blocks", NotInspected: true);
            if (at + 7 > data.Length)
                return new FormatFinding("RAR 4 headers cut short", NotInspected: true);
            var block = data[(int)at..];
            var type = block[2];
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(block[3..]);
            var headerSize = BinaryPrimitives.ReadUInt16LittleEndian(block[5..]);
            var file = type is 0x74 or 0x7A;
            if (type == 0x73 && (flags & 0x0080) != 0 || file && (flags & 0x0004) != 0)
                return new FormatFinding("RAR 4");
            if (type == 0x7B)
                return null;
            if (headerSize < 7 || headerSize > block.Length)
                return new FormatFinding("RAR 4 header damaged", NotInspected: true);
            long next = at + headerSize;
            // File and service headers always carry their packed size; other blocks when flag 0x8000 says so.
            if (file || (flags & 0x8000) != 0)
            {
                if (headerSize < 11)
                    return new FormatFinding("RAR 4 header damaged", NotInspected: true);
                next += BinaryPrimitives.ReadUInt32LittleEndian(block[7..]);
                // LHD_LARGE: the high 32 bits of the packed size at offset 32.
                if (file && (flags & 0x0100) != 0)
                {
                    if (headerSize < 36)
                        return new FormatFinding("RAR 4 header damaged", NotInspected: true);
                    next += (long)BinaryPrimitives.ReadUInt32LittleEndian(block[32..]) << 32;
                }
            }
            if (next > data.Length)
                return new FormatFinding("RAR 4 block runs past the file", NotInspected: true);
            at = next;
        }
        return null;
    }

    /// <summary>
    /// RAR 5: an archive encryption header (type 4) encrypts everything after it; a file or service header (types 2,
    /// 3) with an encryption record (type 1) in its extra area is an encrypted file (RAR 5.0 archive format). The
    /// headers are walked to the end-of-archive header (type 5); one that does not fit is damage.
    /// </summary>
    private static FormatFinding? Rar5(ReadOnlySpan<byte> data)
    {
        var at = 8;
        for (var blocks = 0; blocks < MaxRarBlocks; blocks++)
        {
            var pos = at + 4;
            if (pos >= data.Length || !ReadVInt(data, ref pos, out var headerSize) || headerSize > (ulong)(data.Length - pos))
                return new FormatFinding("RAR 5 headers cut short", NotInspected: true);
            var headerEnd = pos + (int)headerSize;
            var header = data[..headerEnd];
            if (!ReadVInt(header, ref pos, out var type) || !ReadVInt(header, ref pos, out var flags))
                return new FormatFinding("RAR 5 header damaged", NotInspected: true);
            if (type == 4)
                return new FormatFinding("RAR 5");
            ulong extraSize = 0, dataSize = 0;
            if ((flags & 1) != 0 && !ReadVInt(header, ref pos, out extraSize) || (flags & 2) != 0 && !ReadVInt(header, ref pos, out dataSize))
                return new FormatFinding("RAR 5 header damaged", NotInspected: true);
            if (extraSize > (ulong)(headerEnd - pos))
                return new FormatFinding("RAR 5 header damaged", NotInspected: true);
            if (type is 2 or 3)
            {
                for (var extra = headerEnd - (int)extraSize; extra < headerEnd;)
                {
                    if (!ReadVInt(header, ref extra, out var recordSize) || recordSize == 0 || recordSize > (ulong)(headerEnd - extra))
                        return new FormatFinding("RAR 5 extra area damaged", NotInspected: true);
                    var recordEnd = extra + (int)recordSize;
                    if (!ReadVInt(header, ref extra, out var recordType))
                        return new FormatFinding("RAR 5 extra area damaged", NotInspected: true);
                    if (recordType == 1)
                        return new FormatFinding("RAR 5");
                    extra = recordEnd;
                }
            }
            if (type == 5)
                return null;
            if (dataSize > (ulong)(data.Length - headerEnd))
                return new FormatFinding("RAR 5 block runs past the file", NotInspected: true);
            at = headerEnd + (int)dataSize;
        }
        return new FormatFinding($"RAR 5 archive of more than {MaxRarBlocks} blocks", NotInspected: true);
    }

    private static bool ReadVInt(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && pos < data.Length; shift += 7)
        {
            var b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return true;
        }
        return false;
    }

    /// <summary>
    /// PDF: an encrypted document names its security handler with the key /Encrypt in the trailer (ISO 32000-1
    /// §7.6). A name may spell any byte as #xx (§7.3.5), so /Encr#79pt is the same key: names are compared decoded.
    /// </summary>
    private static bool PdfEncrypted(ReadOnlySpan<byte> data)
    {
        var key = "Encrypt"u8;
        Span<byte> name = stackalloc byte[8];
        for (var at = data.IndexOf((byte)'/'); at >= 0;)
        {
            var length = 0;
            var pos = at + 1;
            while (pos < data.Length && length <= key.Length && IsRegular(data[pos]))
            {
                var b = data[pos];
                if (b == '#' && pos + 2 < data.Length && IsHex(data[pos + 1]) && IsHex(data[pos + 2]))
                {
                    b = (byte)(HexValue(data[pos + 1]) << 4 | HexValue(data[pos + 2]));
                    pos += 2;
                }
                name[length++] = b;
                pos++;
            }
            if (length == key.Length && name[..length].SequenceEqual(key))
                return true;
            var next = data[pos..].IndexOf((byte)'/');
            at = next < 0 ? -1 : pos + next;
        }
        return false;
    }

    /// <summary>Regular characters: neither white space nor a delimiter (ISO 32000-1 §7.2.2).</summary>
    private static bool IsRegular(byte b) => b is not (0 or 9 or 10 or 12 or 13 or 32) && "()<>[]{}/%"u8.IndexOf(b) < 0;

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
