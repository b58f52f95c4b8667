using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace DmarcAnalyzer.Archives;

/// <summary>
/// One member of a ZIP file: what its central directory says (PKWARE APPNOTE 4.3.12), encrypted when either that or
/// its local header says so, with where its data starts in the file as given.
/// </summary>
internal sealed record ZipMember(string Name, bool Encrypted, bool Aes, ushort Method, long CompressedSize, long Size, uint Crc, long DataOffset);

/// <summary>The members read, and why they are not all of the archive's or cannot be trusted (null when they are).</summary>
internal sealed record ZipListing(IReadOnlyList<ZipMember> Members, string? Incomplete);

/// <summary>
/// Reads a ZIP file's structure straight from its bytes (System.IO.Compression does not say whether an entry is
/// encrypted; SharpCompress 0.50.9 opens no ZIP with data before it and trusts the central directory's flags alone,
/// bench/README.md).
/// The ZIP is found where unzip and Python's zipfile find it: by the end record searched from the end, ZIP64 included,
/// with any data before the archive. Where 7-Zip would fall back to the local headers (no usable end record), so do
/// we. Anything damaged, and any disagreement between the central directory and the local headers, makes the
/// listing incomplete: a tool that trusts the other copy could see a member we did not.
/// </summary>
internal static class ZipDirectory
{
    private const uint LocalHeaderSignature = 0x04034b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const int LocalHeaderSize = 30;
    private const int CentralHeaderSize = 46;

    /// <summary>Bit 0: encrypted; bit 6: strong encryption (APPNOTE 4.4.4).</summary>
    private const ushort EncryptionFlags = 0x0041;

    /// <summary>Bit 3: sizes and CRC follow the data in a data descriptor (APPNOTE 4.3.9).</summary>
    private const ushort DataDescriptorFlag = 0x0008;

    /// <summary>WinZip AES: compression method 99 with an extra field of id 0x9901 (APPNOTE 7.2, AE-x spec).</summary>
    private const ushort AesMethod = 99;
    private const ushort AesExtraId = 0x9901;
    private const ushort Zip64ExtraId = 0x0001;

    /// <summary>Methods of APPNOTE 4.4.5 a local header found by its signature alone must name to be taken for one.</summary>
    private static ReadOnlySpan<ushort> KnownMethods => [0, 1, 6, 8, 9, 10, 12, 14, 18, 19, 93, 95, 96, 97, 98, 99];

    private sealed class DamagedException(string message) : Exception(message);

    /// <summary>
    /// The listing of <paramref name="zip"/>, or null when it holds no ZIP: no end record whose central directory is
    /// where it says, and no plausible local header.
    /// </summary>
    public static ZipListing? Read(ReadOnlySpan<byte> zip, int maxMembers, CancellationToken cancellation)
    {
        if (ZipEndRecord.Find(zip, IsPlausible) is { } end)
        {
            try
            {
                return ReadCentralDirectory(zip, end, maxMembers, cancellation);
            }
            catch (DamagedException e)
            {
                // The central directory is where the end record says but cannot be read: what the local headers
                // show is still looked at, an encrypted member there wins.
                var walked = ReadLocalHeaders(zip, maxMembers, cancellation);
                return new ZipListing(walked?.Members ?? [], e.Message);
            }
        }
        if (ReadLocalHeaders(zip, maxMembers, cancellation) is not { } local)
            return null;
        return new ZipListing(local.Members, local.Incomplete ?? "no end of central directory record");
    }

    /// <summary>
    /// The stored or deflated bytes of a member, inflated within <paramref name="budget"/>; otherwise null and
    /// <paramref name="failure"/> says why it could not be read. Its size and CRC must be those the directory gives.
    /// </summary>
    public static byte[]? Extract(ReadOnlySpan<byte> zip, ZipMember member, InspectionBudget budget, out string? failure)
    {
        failure = null;
        if (member.Encrypted)
            failure = "encrypted";
        else if (member.Method is not (0 or 8))
            failure = $"compression method {member.Method} not supported";
        else if (member.Size > Array.MaxLength || member.CompressedSize > zip.Length - member.DataOffset)
            failure = "damaged member";
        else if (member.Method == 0 && member.CompressedSize != member.Size)
            failure = "damaged member (stored with two sizes)";
        else if (!budget.TrySpend(member.Size))
            failure = InflateLimit(budget.Remaining);
        if (failure is not null)
            return null;
        var data = zip.Slice((int)member.DataOffset, (int)member.CompressedSize);
        byte[] output;
        if (member.Method == 0)
            output = data.ToArray();
        else
        {
            output = new byte[member.Size];
            using var inflate = new DeflateStream(new MemoryStream(data.ToArray()), CompressionMode.Decompress);
            var written = 0;
            try
            {
                int read;
                // Bounded by the size the directory gave, whatever the stream holds: a bomb stops here.
                while (written < output.Length && (read = inflate.Read(output, written, output.Length - written)) > 0)
                {
                    written += read;
                    budget.ThrowIfCancelled();
                }
                if (written < output.Length || inflate.Read(new byte[1]) > 0)
                    failure = "damaged member (not the size the directory gives)";
            }
            catch (InvalidDataException)
            {
                failure = "damaged member (deflate data damaged)";
            }
            if (failure is not null)
                return null;
        }
        if (Crc32.HashToUInt32(output) != member.Crc)
        {
            failure = "damaged member (CRC mismatch)";
            return null;
        }
        return output;
    }

    private static string InflateLimit(long left) => $"inflate limit reached, {left} bytes left for the message";

    /// <summary>
    /// The central directory the end record <paramref name="end"/> points to, with each member checked against its
    /// local header. Data before the archive (a self-extractor, or padding) shifts every offset by the same amount,
    /// taken, as unzip does, from where the central directory really ends: at the (ZIP64) end record.
    /// </summary>
    private static ZipListing ReadCentralDirectory(ReadOnlySpan<byte> zip, ZipEndRecord end, int maxMembers, CancellationToken cancellation)
    {
        if (end.Disk != 0 || end.DirectoryDisk != 0 || end.DiskEntries != end.Entries)
            throw new DamagedException("ZIP split over several disks");
        ulong count = end.Entries;
        ulong size = end.DirectorySize;
        ulong offset = end.DirectoryOffset;
        long directoryEnd = end.At;
        if (end.Locator(zip) is { } locator)
        {
            // APPNOTE 4.3.14-15: the ZIP64 end record, just before its locator. Each field of the end record must be
            // the same or saturated (0xFFFF...), else the two records disagree.
            if (Zip64EndRecord.Read(zip, locator.At - Zip64EndRecord.Size) is not { } zip64)
                throw new DamagedException("ZIP64 end record missing where its locator says");
            if (locator.EndRecordDisk != 0 || locator.Disks > 1 || zip64.Disk != 0 || zip64.DirectoryDisk != 0 || zip64.DiskEntries != zip64.Entries)
                throw new DamagedException("ZIP64 split over several disks");
            if (count != 0xFFFF && count != zip64.Entries || size != 0xFFFFFFFF && size != zip64.DirectorySize
                || offset != 0xFFFFFFFF && offset != zip64.DirectoryOffset)
                throw new DamagedException("end record and ZIP64 end record disagree");
            (count, size, offset) = (zip64.Entries, zip64.DirectorySize, zip64.DirectoryOffset);
            directoryEnd = zip64.At;
            if ((long)locator.EndRecordOffset != zip64.At - (directoryEnd - (long)size - (long)offset))
                throw new DamagedException("ZIP64 locator points elsewhere than its end record");
        }
        else if (end.PointsToZip64)
            throw new DamagedException("end record points to ZIP64 records that are missing");
        if (size > (ulong)directoryEnd || offset > (ulong)(directoryEnd - (long)size))
            throw new DamagedException("central directory outside the file");
        var start = directoryEnd - (long)size;
        var shift = start - (long)offset;

        var members = new List<ZipMember>();
        var ranges = new List<(long Start, long End)>();
        string? incomplete = null;
        var at = start;
        for (ulong i = 0; i < count; i++)
        {
            if (members.Count == maxMembers)
                return new ZipListing(members, $"more than {maxMembers} members");
            cancellation.ThrowIfCancellationRequested();
            var member = ReadCentralHeader(zip, ref at, directoryEnd, shift, out var localAt, out var dataEnd, ref incomplete);
            members.Add(member);
            ranges.Add((localAt, dataEnd));
        }
        if (at != directoryEnd)
            throw new DamagedException("central directory size and its entries disagree");
        incomplete ??= Overlaps(ranges, start) ?? UnlistedLocalHeader(zip, ranges, start);
        return new ZipListing(members, incomplete);
    }

    /// <summary>One central directory entry at <paramref name="at"/>, compared with the local header it points to.</summary>
    private static ZipMember ReadCentralHeader(ReadOnlySpan<byte> zip, ref long at, long directoryEnd, long shift,
        out long localAt, out long dataEnd, ref string? incomplete)
    {
        if (at + CentralHeaderSize > directoryEnd || U32(zip, at) != CentralHeaderSignature)
            throw new DamagedException("damaged central directory");
        var header = zip[(int)at..(int)directoryEnd];
        var flags = U16(header, 8);
        var method = U16(header, 10);
        var crc = U32(header, 16);
        ulong compressed = U32(header, 20);
        ulong size = U32(header, 24);
        var nameLength = U16(header, 28);
        var extraLength = U16(header, 30);
        var commentLength = U16(header, 32);
        ulong local = U32(header, 42);
        if (CentralHeaderSize + nameLength + extraLength + commentLength > header.Length)
            throw new DamagedException("damaged central directory");
        var nameBytes = header.Slice(CentralHeaderSize, nameLength);
        var extra = header.Slice(CentralHeaderSize + nameLength, extraLength);
        var zip64 = Extra(extra, Zip64ExtraId);
        // APPNOTE 4.5.3: the ZIP64 extra field holds, in this order, each of these that is saturated above.
        if (size == 0xFFFFFFFF)
            size = Next64(ref zip64);
        if (compressed == 0xFFFFFFFF)
            compressed = Next64(ref zip64);
        if (local == 0xFFFFFFFF)
            local = Next64(ref zip64);
        if (U16(header, 34) != 0 && !(U16(header, 34) == 0xFFFF && zip64.Length >= 4 && U32(zip64, 0) == 0))
            throw new DamagedException("ZIP member on another disk");
        at += CentralHeaderSize + nameLength + extraLength + commentLength;

        if (local > long.MaxValue / 2 || (localAt = (long)local + shift) < 0 || localAt + LocalHeaderSize > zip.Length
            || U32(zip, localAt) != LocalHeaderSignature)
            throw new DamagedException($"local header of {Name(nameBytes, flags)} missing");
        var localHeader = zip[(int)localAt..];
        var localFlags = U16(localHeader, 6);
        var localMethod = U16(localHeader, 8);
        var localNameLength = U16(localHeader, 26);
        var localExtraLength = U16(localHeader, 28);
        if (LocalHeaderSize + localNameLength + localExtraLength > localHeader.Length)
            throw new DamagedException($"local header of {Name(nameBytes, flags)} cut short");
        var localName = localHeader.Slice(LocalHeaderSize, localNameLength);
        var localExtra = localHeader.Slice(LocalHeaderSize + localNameLength, localExtraLength);
        var aes = method == AesMethod || localMethod == AesMethod || !Extra(extra, AesExtraId).IsEmpty || !Extra(localExtra, AesExtraId).IsEmpty;
        var encrypted = aes || ((flags | localFlags) & EncryptionFlags) != 0;
        var name = Name(nameBytes, flags);
        if ((flags & EncryptionFlags) != (localFlags & EncryptionFlags) || method != localMethod || !nameBytes.SequenceEqual(localName))
            incomplete ??= $"central directory and local header of {name} disagree";
        var dataOffset = localAt + LocalHeaderSize + localNameLength + localExtraLength;
        if (compressed > (ulong)(zip.Length - dataOffset))
            throw new DamagedException($"data of {name} runs past the file");
        dataEnd = dataOffset + (long)compressed;
        return new ZipMember(name, encrypted, aes, method, (long)compressed, size > long.MaxValue ? long.MaxValue : (long)size, crc, dataOffset);
    }

    /// <summary>Two members sharing bytes (the overlapping-file bomb) is no archive a writer makes.</summary>
    private static string? Overlaps(List<(long Start, long End)> ranges, long directoryStart)
    {
        var sorted = ranges.OrderBy(r => r.Start).ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            var limit = i + 1 < sorted.Count ? sorted[i + 1].Start : directoryStart;
            if (sorted[i].End > limit)
                return "ZIP members overlap";
        }
        return null;
    }

    /// <summary>
    /// A local header in bytes no listed member covers: a member the central directory does not list, which a tool
    /// reading local headers (a streaming unzipper, 7-Zip on a damaged file) would still extract.
    /// </summary>
    private static string? UnlistedLocalHeader(ReadOnlySpan<byte> zip, List<(long Start, long End)> ranges, long directoryStart)
    {
        var sorted = ranges.OrderBy(r => r.Start).ToList();
        var from = 0L;
        foreach (var (start, end) in sorted.Append((directoryStart, directoryStart)))
        {
            if (FindLocalHeader(zip[(int)from..(int)start]) >= 0)
                return "a local header the central directory does not list";
            from = Math.Max(from, end);
        }
        return null;
    }

    /// <summary>
    /// The members the local headers show, from the first plausible one: what is left to look at when the central
    /// directory is missing or damaged. Null when there is no plausible local header.
    /// </summary>
    private static ZipListing? ReadLocalHeaders(ReadOnlySpan<byte> zip, int maxMembers, CancellationToken cancellation)
    {
        var first = FindLocalHeader(zip);
        if (first < 0)
            return null;
        var members = new List<ZipMember>();
        long at = first;
        while (at >= 0 && at + LocalHeaderSize <= zip.Length)
        {
            if (members.Count == maxMembers)
                return new ZipListing(members, $"more than {maxMembers} members");
            cancellation.ThrowIfCancellationRequested();
            var header = zip[(int)at..];
            var flags = U16(header, 6);
            var method = U16(header, 8);
            var crc = U32(header, 14);
            ulong compressed = U32(header, 18);
            ulong size = U32(header, 22);
            var nameLength = U16(header, 26);
            var extraLength = U16(header, 28);
            if (LocalHeaderSize + nameLength + extraLength > header.Length)
                return new ZipListing(members, "damaged local header");
            var extra = header.Slice(LocalHeaderSize + nameLength, extraLength);
            var zip64 = Extra(extra, Zip64ExtraId);
            if (size == 0xFFFFFFFF || compressed == 0xFFFFFFFF)
            {
                size = zip64.Length >= 8 ? U64(zip64, 0) : size;
                compressed = zip64.Length >= 16 ? U64(zip64, 8) : compressed;
            }
            var aes = method == AesMethod || !Extra(extra, AesExtraId).IsEmpty;
            var dataOffset = at + LocalHeaderSize + nameLength + extraLength;
            var sizesKnown = (flags & DataDescriptorFlag) == 0 && compressed <= (ulong)(zip.Length - dataOffset);
            members.Add(new ZipMember(Name(header.Slice(LocalHeaderSize, nameLength), flags), aes || (flags & EncryptionFlags) != 0, aes,
                method, sizesKnown ? (long)compressed : long.MaxValue, size > long.MaxValue ? long.MaxValue : (long)size, crc, dataOffset));
            // Without sizes (a data descriptor, or damage) the next header is searched for, as streaming readers do.
            var next = sizesKnown ? dataOffset + (long)compressed : dataOffset;
            var found = FindLocalHeader(zip[(int)next..]);
            at = found < 0 ? -1 : next + found;
        }
        return new ZipListing(members, null);
    }

    /// <summary>
    /// The first local header signature in <paramref name="data"/> followed by a header that could be one: a known
    /// method, a name, and fields inside the data. Random bytes that hold the signature rarely pass.
    /// </summary>
    private static int FindLocalHeader(ReadOnlySpan<byte> data)
    {
        var from = 0;
        while (true)
        {
            var found = data[from..].IndexOf("PK\u0003\u0004"u8);
            if (found < 0)
                return -1;
            var at = from + found;
            if (at + LocalHeaderSize <= data.Length)
            {
                var header = data[at..];
                var version = U16(header, 4);
                var nameLength = U16(header, 26);
                if ((version & 0xFF) <= 63 && KnownMethods.Contains(U16(header, 8)) && nameLength > 0
                    && LocalHeaderSize + nameLength + U16(header, 28) <= header.Length)
                    return at;
            }
            from = at + 1;
        }
    }

    /// <summary>
    /// An end record taken as unzip takes one: its central directory (or ZIP64 end record) is where it says. The last
    /// signature in a comment that is not one is passed over.
    /// </summary>
    private static bool IsPlausible(ReadOnlySpan<byte> zip, ZipEndRecord end) =>
        end.Locator(zip) is not null
        || end.DirectorySize <= end.At && (end.Entries == 0 && end.DirectorySize == 0 || U32(zip, end.At - end.DirectorySize) == CentralHeaderSignature)
        || end.PointsToZip64;

    /// <summary>The data of the first extra field of id <paramref name="id"/> (APPNOTE 4.5.1); empty when there is none.</summary>
    private static ReadOnlySpan<byte> Extra(ReadOnlySpan<byte> extra, ushort id)
    {
        while (extra.Length >= 4)
        {
            var fieldId = U16(extra, 0);
            var size = U16(extra, 2);
            if (4 + size > extra.Length)
                break;
            if (fieldId == id)
                return size == 0 ? extra.Slice(4, 0) : extra.Slice(4, size);
            extra = extra[(4 + size)..];
        }
        return [];
    }

    private static ulong Next64(ref ReadOnlySpan<byte> zip64)
    {
        if (zip64.Length < 8)
            throw new DamagedException("ZIP64 extra field missing or cut short");
        var value = U64(zip64, 0);
        zip64 = zip64[8..];
        return value;
    }

    /// <summary>Bit 11 says UTF-8 (APPNOTE appendix D); otherwise the name is in the archiver's code page.</summary>
    private static string Name(ReadOnlySpan<byte> name, ushort flags) =>
        (flags & 0x0800) != 0 ? System.Text.Encoding.UTF8.GetString(name) : System.Text.Encoding.Latin1.GetString(name);

    private static ushort U16(ReadOnlySpan<byte> data, long at) => BinaryPrimitives.ReadUInt16LittleEndian(data[(int)at..]);

    private static uint U32(ReadOnlySpan<byte> data, long at) => BinaryPrimitives.ReadUInt32LittleEndian(data[(int)at..]);

    private static ulong U64(ReadOnlySpan<byte> data, long at) => BinaryPrimitives.ReadUInt64LittleEndian(data[(int)at..]);
}
