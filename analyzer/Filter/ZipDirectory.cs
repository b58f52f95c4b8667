using System.Buffers.Binary;
using System.IO.Compression;

namespace DmarcAnalyzer.Filter;

/// <summary>One member of a ZIP file as its central directory describes it (PKWARE APPNOTE 4.3.12).</summary>
internal sealed record ZipMember(string Name, bool Encrypted, bool Aes, ushort Method, long CompressedSize, long Size, long LocalHeaderOffset);

/// <summary>The members read, and why they are not all of the archive's (null when they are).</summary>
internal sealed record ZipListing(IReadOnlyList<ZipMember> Members, string? Incomplete);

/// <summary>
/// Reads a ZIP file's central directory straight from its bytes: System.IO.Compression does not say whether an
/// entry is encrypted. Falls back to walking the local file headers when the central directory is missing.
/// </summary>
internal static class ZipDirectory
{
    private const uint LocalHeaderSignature = 0x04034b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const uint EndOfCentralDirectorySignature = 0x06054b50;

    /// <summary>General purpose flag bit 0: the entry is encrypted (APPNOTE 4.4.4).</summary>
    private const ushort EncryptedFlag = 0x0001;

    /// <summary>WinZip AES: compression method 99 with an extra field of id 0x9901 (APPNOTE 7.2, AE-x spec).</summary>
    private const ushort AesMethod = 99;
    private const ushort AesExtraId = 0x9901;

    public static bool LooksLikeZip(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(data) is LocalHeaderSignature or EndOfCentralDirectorySignature;

    public static ZipListing Read(ReadOnlySpan<byte> zip, int maxMembers)
    {
        var members = new List<ZipMember>();
        var end = FindEndOfCentralDirectory(zip);
        if (end >= 0)
        {
            var count = BinaryPrimitives.ReadUInt16LittleEndian(zip[(end + 10)..]);
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(zip[(end + 16)..]);
            var at = (long)offset;
            string? incomplete = null;
            for (var i = 0; i < count; i++)
            {
                if (members.Count == maxMembers)
                {
                    incomplete = $"more than {maxMembers} members";
                    break;
                }
                if (at < 0 || at + 46 > zip.Length || BinaryPrimitives.ReadUInt32LittleEndian(zip[(int)at..]) != CentralHeaderSignature)
                {
                    incomplete = "damaged central directory";
                    break;
                }
                var header = zip[(int)at..];
                var flags = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
                var method = BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
                var compressed = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
                var size = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
                var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
                var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[30..]);
                var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
                var local = BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);
                if (46 + nameLength + extraLength > header.Length)
                {
                    incomplete = "damaged central directory";
                    break;
                }
                var name = DecodeName(header.Slice(46, nameLength), flags);
                var aes = method == AesMethod || HasExtra(header.Slice(46 + nameLength, extraLength), AesExtraId);
                members.Add(new ZipMember(name, (flags & EncryptedFlag) != 0 || aes, aes, method, compressed, size, local));
                at += 46 + nameLength + extraLength + commentLength;
            }
            if (members.Count > 0)
                return new ZipListing(members, incomplete);
        }
        return ReadLocalHeaders(zip, maxMembers);
    }

    /// <summary>
    /// The stored or deflated bytes of a member, inflated up to <paramref name="maxBytes"/>; otherwise null and
    /// <paramref name="failure"/> says why it could not be read.
    /// </summary>
    public static byte[]? Extract(ReadOnlySpan<byte> zip, ZipMember member, long maxBytes, out string? failure)
    {
        failure = null;
        if (member.Encrypted)
            failure = "encrypted";
        else if (member.Method is not (0 or 8))
            failure = $"compression method {member.Method} not supported";
        else if (member.Size > maxBytes || member.Method == 0 && member.CompressedSize > maxBytes)
            failure = InflateLimit(maxBytes);
        if (failure is not null)
            return null;
        var at = member.LocalHeaderOffset;
        if (at < 0 || at + 30 > zip.Length || BinaryPrimitives.ReadUInt32LittleEndian(zip[(int)at..]) != LocalHeaderSignature)
        {
            failure = "damaged member";
            return null;
        }
        var header = zip[(int)at..];
        var start = at + 30 + BinaryPrimitives.ReadUInt16LittleEndian(header[26..]) + BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
        if (start + member.CompressedSize > zip.Length)
        {
            failure = "damaged member";
            return null;
        }
        var data = zip.Slice((int)start, (int)member.CompressedSize).ToArray();
        if (member.Method == 0)
            return data;
        using var inflate = new DeflateStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        try
        {
            int read;
            while ((read = inflate.Read(buffer)) > 0)
            {
                // Bounded whatever the header claims: a bomb stops here.
                if (output.Length + read > maxBytes)
                {
                    failure = InflateLimit(maxBytes);
                    return null;
                }
                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException)
        {
            failure = "damaged member";
            return null;
        }
        return output.ToArray();
    }

    private static string InflateLimit(long maxBytes) => $"inflate limit reached, {maxBytes} bytes left";

    private static ZipListing ReadLocalHeaders(ReadOnlySpan<byte> zip, int maxMembers)
    {
        var members = new List<ZipMember>();
        var at = 0L;
        while (at + 30 <= zip.Length && BinaryPrimitives.ReadUInt32LittleEndian(zip[(int)at..]) == LocalHeaderSignature)
        {
            if (members.Count == maxMembers)
                return new ZipListing(members, $"more than {maxMembers} members");
            var header = zip[(int)at..];
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
            var method = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
            var compressed = BinaryPrimitives.ReadUInt32LittleEndian(header[18..]);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(header[22..]);
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[26..]);
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
            if (30 + nameLength + extraLength > header.Length)
                return new ZipListing(members, "damaged local header");
            var aes = method == AesMethod || HasExtra(header.Slice(30 + nameLength, extraLength), AesExtraId);
            members.Add(new ZipMember(DecodeName(header.Slice(30, nameLength), flags), (flags & EncryptedFlag) != 0 || aes, aes, method, compressed, size, at));
            // With a data descriptor (bit 3) the sizes are not in the local header: neither this member nor the
            // walk can go on.
            if ((flags & 0x0008) != 0)
                return new ZipListing(members, "no central directory and sizes only in data descriptors");
            at += 30 + nameLength + extraLength + compressed;
        }
        return new ZipListing(members, null);
    }

    private static int FindEndOfCentralDirectory(ReadOnlySpan<byte> zip)
    {
        // The record is 22 bytes plus a comment of at most 65,535 (APPNOTE 4.3.16).
        var lowest = Math.Max(0, zip.Length - 22 - 65_535);
        for (var at = zip.Length - 22; at >= lowest; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip[at..]) == EndOfCentralDirectorySignature)
                return at;
        }
        return -1;
    }

    private static bool HasExtra(ReadOnlySpan<byte> extra, ushort id)
    {
        while (extra.Length >= 4)
        {
            var fieldId = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var size = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (fieldId == id)
                return true;
            if (4 + size > extra.Length)
                break;
            extra = extra[(4 + size)..];
        }
        return false;
    }

    /// <summary>Bit 11 says UTF-8 (APPNOTE appendix D); otherwise the name is in the archiver's code page.</summary>
    private static string DecodeName(ReadOnlySpan<byte> name, ushort flags) =>
        (flags & 0x0800) != 0 ? System.Text.Encoding.UTF8.GetString(name) : System.Text.Encoding.Latin1.GetString(name);
}
