using System.Buffers.Binary;

namespace DmarcAnalyzer.Archives;

/// <summary>
/// The records at the end of a ZIP file, read in one place for both readers of ZIP structure: the end of central
/// directory record (APPNOTE 4.3.16), the ZIP64 locator (4.3.15) that may precede it, and the ZIP64 end record
/// (4.3.14). <see cref="ZipDirectory"/> (what the filter inspects) and <see cref="ZipEntryCount"/> (the cap before
/// ZipArchive reads a report's archive) apply their own policies to what is read here.
/// </summary>
internal readonly record struct ZipEndRecord(int At, ushort Disk, ushort DirectoryDisk, ushort DiskEntries, ushort Entries, uint DirectorySize, uint DirectoryOffset)
{
    public const int Size = 22;

    /// <summary>The longest comment that may follow the record.</summary>
    public const int MaxComment = 65_535;

    /// <summary>Whether a field is saturated: the real value is in the ZIP64 end record (APPNOTE 4.4.1.4).</summary>
    public bool PointsToZip64 => Entries == 0xFFFF || DirectorySize == 0xFFFFFFFF || DirectoryOffset == 0xFFFFFFFF;

    /// <summary>The first signature from the end that <paramref name="accept"/> takes, read; null when none.</summary>
    public static ZipEndRecord? Find(ReadOnlySpan<byte> zip, Acceptance? accept = null)
    {
        var lowest = Math.Max(0, zip.Length - Size - MaxComment);
        for (var at = zip.Length - Size; at >= lowest; at--)
        {
            if (zip[at..] is not [(byte)'P', (byte)'K', 5, 6, ..])
                continue;
            var record = Read(zip, at);
            if (accept is null || accept(zip, record))
                return record;
        }
        return null;
    }

    /// <summary>Whether a reader takes <paramref name="end"/> for the file's end record.</summary>
    public delegate bool Acceptance(ReadOnlySpan<byte> zip, ZipEndRecord end);

    private static ZipEndRecord Read(ReadOnlySpan<byte> zip, int at)
    {
        var r = zip[at..];
        return new ZipEndRecord(at, U16(r, 4), U16(r, 6), U16(r, 8), U16(r, 10), U32(r, 12), U32(r, 16));
    }

    /// <summary>The ZIP64 locator just before this record, or null when there is none.</summary>
    public Zip64Locator? Locator(ReadOnlySpan<byte> zip)
    {
        var at = At - Zip64Locator.Size;
        if (at < 0 || zip[at..] is not [(byte)'P', (byte)'K', 6, 7, ..])
            return null;
        var r = zip[at..];
        return new Zip64Locator(at, U32(r, 4), BinaryPrimitives.ReadUInt64LittleEndian(r[8..]), U32(r, 16));
    }

    private static ushort U16(ReadOnlySpan<byte> data, int at) => BinaryPrimitives.ReadUInt16LittleEndian(data[at..]);

    private static uint U32(ReadOnlySpan<byte> data, int at) => BinaryPrimitives.ReadUInt32LittleEndian(data[at..]);
}

/// <summary>The ZIP64 end of central directory locator (APPNOTE 4.3.15): where the ZIP64 end record says it is.</summary>
internal readonly record struct Zip64Locator(int At, uint EndRecordDisk, ulong EndRecordOffset, uint Disks)
{
    public const int Size = 20;
}

/// <summary>The ZIP64 end of central directory record (APPNOTE 4.3.14).</summary>
internal readonly record struct Zip64EndRecord(long At, uint Disk, uint DirectoryDisk, ulong DiskEntries, ulong Entries, ulong DirectorySize, ulong DirectoryOffset)
{
    public const int Size = 56;

    /// <summary>The record at <paramref name="at"/>, or null when none is there.</summary>
    public static Zip64EndRecord? Read(ReadOnlySpan<byte> zip, long at)
    {
        if (at < 0 || at > zip.Length - Size || zip[(int)at..] is not [(byte)'P', (byte)'K', 6, 6, ..])
            return null;
        var r = zip[(int)at..];
        return new Zip64EndRecord(at, BinaryPrimitives.ReadUInt32LittleEndian(r[16..]), BinaryPrimitives.ReadUInt32LittleEndian(r[20..]),
            BinaryPrimitives.ReadUInt64LittleEndian(r[24..]), BinaryPrimitives.ReadUInt64LittleEndian(r[32..]),
            BinaryPrimitives.ReadUInt64LittleEndian(r[40..]), BinaryPrimitives.ReadUInt64LittleEndian(r[48..]));
    }
}
