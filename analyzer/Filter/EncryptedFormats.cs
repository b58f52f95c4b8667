using System.Buffers.Binary;

namespace DmarcAnalyzer.Filter;

/// <summary>What a file's own format says: encrypted, of <paramref name="Kind"/>, or, when
/// <paramref name="NotInspected"/>, a file whose structure could not be read (and <paramref name="Kind"/> says why).</summary>
internal sealed record FormatFinding(string Kind, bool NotInspected = false);

/// <summary>
/// Recognises encrypted 7z, RAR, PDF and Office files from their bytes, only where the format says so plainly.
/// A 7z file is read to its coders (compressed headers included) and an Office compound file to its directory and
/// document streams (<see cref="OfficeEncryption"/>), so either one that cannot be read is not taken as clean, as with
/// ZIP; for the others anything unclear counts as not encrypted.
/// </summary>
internal static class EncryptedFormats
{
    private static ReadOnlySpan<byte> SevenZipSignature => [(byte)'7', (byte)'z', 0xBC, 0xAF, 0x27, 0x1C];
    private static ReadOnlySpan<byte> Rar4Signature => [(byte)'R', (byte)'a', (byte)'r', (byte)'!', 0x1A, 0x07, 0x00];
    private static ReadOnlySpan<byte> Rar5Signature => [(byte)'R', (byte)'a', (byte)'r', (byte)'!', 0x1A, 0x07, 0x01, 0x00];

    /// <summary>
    /// The finding when <paramref name="data"/> is an encrypted file of a known kind or a 7z or compound file that
    /// could not be read, else null. Decoding a 7z header spends <paramref name="budget"/>, the bytes the caller may still inflate.
    /// </summary>
    public static FormatFinding? Detect(ReadOnlySpan<byte> data, ref long budget)
    {
        if (data.StartsWith(SevenZipSignature))
        {
            return SevenZipHeader.UsesAes(data, ref budget, out var unreadable) switch
            {
                true => new FormatFinding("7z (AES)"),
                false => null,
                null => new FormatFinding(unreadable ?? "7z header unreadable", NotInspected: true),
            };
        }
        if (data.StartsWith(Rar5Signature))
            return Rar5Encrypted(data) ? new FormatFinding("RAR 5") : null;
        if (data.StartsWith(Rar4Signature))
            return Rar4Encrypted(data) ? new FormatFinding("RAR 4") : null;
        if (data.StartsWith("%PDF-"u8))
            return PdfEncrypted(data) ? new FormatFinding("PDF") : null;
        if (data.StartsWith(CompoundFile.Signature))
            return OfficeEncryption.Detect(data);
        return null;
    }

    /// <summary>
    /// RAR 4: the main header's flag 0x0080 encrypts headers, a file header's flag 0x0004 a file (technote.txt).
    /// </summary>
    private static bool Rar4Encrypted(ReadOnlySpan<byte> data)
    {
        var at = 7;
        for (var blocks = 0; blocks < 10_000 && at + 7 <= data.Length; blocks++)
        {
            var type = data[at + 2];
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(data[(at + 3)..]);
            var headerSize = BinaryPrimitives.ReadUInt16LittleEndian(data[(at + 5)..]);
            if (type == 0x73 && (flags & 0x0080) != 0)
                return true;
            if (type == 0x74 && (flags & 0x0004) != 0)
                return true;
            if (headerSize < 7)
                return false;
            long next = at + headerSize;
            if ((flags & 0x8000) != 0 && at + 11 <= data.Length)
                next += BinaryPrimitives.ReadUInt32LittleEndian(data[(at + 7)..]);
            if (type == 0x7B || next > data.Length)
                return false;
            at = (int)next;
        }
        return false;
    }

    /// <summary>
    /// RAR 5: an archive encryption header (type 4) encrypts everything after it; a file header (type 2) with an
    /// encryption record (type 1) in its extra area is an encrypted file (rarlab RAR 5.0 archive format).
    /// </summary>
    private static bool Rar5Encrypted(ReadOnlySpan<byte> data)
    {
        var at = 8;
        for (var blocks = 0; blocks < 10_000 && at + 4 < data.Length; blocks++)
        {
            var pos = at + 4;
            if (!ReadVInt(data, ref pos, out var headerSize) || headerSize > (ulong)data.Length)
                return false;
            var headerEnd = pos + (long)headerSize;
            if (headerEnd > data.Length || !ReadVInt(data, ref pos, out var type) || !ReadVInt(data, ref pos, out var flags))
                return false;
            if (type == 4)
                return true;
            ulong extraSize = 0, dataSize = 0;
            if ((flags & 1) != 0 && !ReadVInt(data, ref pos, out extraSize))
                return false;
            if ((flags & 2) != 0 && !ReadVInt(data, ref pos, out dataSize))
                return false;
            if (type == 2 && extraSize > 0 && extraSize <= (ulong)(headerEnd - pos))
            {
                var extra = (int)(headerEnd - (long)extraSize);
                while (extra < headerEnd)
                {
                    if (!ReadVInt(data, ref extra, out var recordSize) || !ReadVInt(data, ref extra, out var recordType))
                        break;
                    if (recordType == 1)
                        return true;
                    extra += (int)Math.Min(recordSize, (ulong)data.Length) - 1;
                }
            }
            if (type == 5)
                return false;
            var next = headerEnd + (long)Math.Min(dataSize, (ulong)data.Length);
            if (next > data.Length)
                return false;
            at = (int)next;
        }
        return false;
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

    /// <summary>PDF: an encrypted document names its security handler with /Encrypt in the trailer (ISO 32000-1 §7.6).</summary>
    private static bool PdfEncrypted(ReadOnlySpan<byte> data)
    {
        var token = "/Encrypt"u8;
        var rest = data;
        while (true)
        {
            var at = rest.IndexOf(token);
            if (at < 0)
                return false;
            var after = at + token.Length;
            // The /Encrypt key is followed by a delimiter; longer names such as /EncryptMetadata do not count.
            if (after >= rest.Length || !char.IsAsciiLetterOrDigit((char)rest[after]))
                return true;
            rest = rest[after..];
        }
    }
}
