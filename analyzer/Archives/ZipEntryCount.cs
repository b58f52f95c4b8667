using System.Buffers.Binary;

namespace DmarcAnalyzer.Archives;

/// <summary>
/// How many entries a zip archive holds, learnt before anything is built from it: <see cref="System.IO.Compression.ZipArchive"/>
/// reads its whole central directory into objects first, so a few MB declaring millions of entries cost seconds and
/// gigabytes before any cap applied. Read from the end-of-central-directory record (APPNOTE 4.3.16) or its ZIP64 form
/// (4.3.14, found through its locator, 4.3.15); then the central directory's headers (4.3.12) are walked, but never
/// past one more than the cap, in case the end record understates them.
/// </summary>
internal static class ZipEntryCount
{
    private const int EndRecordSize = 22;
    private const int LocatorSize = 20;
    private const int CentralHeaderSize = 46;
    private const int Zip64EndRecordSize = 56;

    /// <param name="Entries">Entries the end record declares, or the headers found when more (counted only up to the cap and one).</param>
    /// <param name="AtLeast">True when <paramref name="Entries"/> is where the walk stopped, not a count.</param>
    /// <param name="Methods">
    /// The compression method (APPNOTE 4.4.5) of each header found, in the directory's order: .NET's ZipArchive does not
    /// say it, and a reason for an entry that cannot be read needs it.
    /// </param>
    internal sealed record Count(long Entries, bool AtLeast, IReadOnlyList<int> Methods);

    /// <summary>The count, or null when the archive has no end record (damaged: <see cref="System.IO.Compression.ZipArchive"/> says so).</summary>
    public static Count? Of(ReadOnlySpan<byte> zip, int cap)
    {
        if (FindEndRecord(zip) is not { } end)
            return null;
        long declared = BinaryPrimitives.ReadUInt16LittleEndian(zip[(end + 10)..]);
        long directorySize = BinaryPrimitives.ReadUInt32LittleEndian(zip[(end + 12)..]);
        long directoryOffset = BinaryPrimitives.ReadUInt32LittleEndian(zip[(end + 16)..]);
        var directoryEnd = end;
        if (end >= LocatorSize && zip[(end - LocatorSize)..] is [(byte)'P', (byte)'K', 6, 7, ..])
        {
            var zip64End = BinaryPrimitives.ReadUInt64LittleEndian(zip[(end - LocatorSize + 8)..]);
            if (zip.Length >= Zip64EndRecordSize && zip64End <= (ulong)(zip.Length - Zip64EndRecordSize) && zip[(int)zip64End..] is [(byte)'P', (byte)'K', 6, 6, ..])
            {
                var record = zip[(int)zip64End..];
                declared = Math.Max(declared, Clamp(BinaryPrimitives.ReadUInt64LittleEndian(record[32..])));
                directorySize = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(record[40..]));
                directoryOffset = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(record[48..]));
                directoryEnd = (int)zip64End;
            }
        }
        if (declared > cap)
            return new Count(declared, AtLeast: false, []);
        // Where the directory says it starts, or, with bytes put in front of the archive, where its size puts it.
        var start = IsCentralHeader(zip, directoryOffset) ? directoryOffset : directoryEnd - directorySize;
        var methods = CentralHeaders(zip, start, cap + 1);
        return methods.Count > declared ? new Count(methods.Count, AtLeast: methods.Count > cap, methods) : new Count(declared, AtLeast: false, methods);
    }

    /// <summary>The end record, searched from the end back over the longest comment it may have (65,535 bytes).</summary>
    private static int? FindEndRecord(ReadOnlySpan<byte> zip)
    {
        for (var i = zip.Length - EndRecordSize; i >= 0 && i >= zip.Length - EndRecordSize - ushort.MaxValue; i--)
        {
            if (zip[i..] is [(byte)'P', (byte)'K', 5, 6, ..])
                return i;
        }
        return null;
    }

    /// <summary>The compression method of each central header from <paramref name="at"/> on, at most <paramref name="most"/>.</summary>
    private static List<int> CentralHeaders(ReadOnlySpan<byte> zip, long at, int most)
    {
        var methods = new List<int>();
        while (methods.Count < most && IsCentralHeader(zip, at) && at + CentralHeaderSize <= zip.Length)
        {
            var header = zip[(int)at..];
            methods.Add(BinaryPrimitives.ReadUInt16LittleEndian(header[10..]));
            at += CentralHeaderSize + BinaryPrimitives.ReadUInt16LittleEndian(header[28..])
                + BinaryPrimitives.ReadUInt16LittleEndian(header[30..]) + BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
        }
        return methods;
    }

    private static bool IsCentralHeader(ReadOnlySpan<byte> zip, long at) =>
        at >= 0 && at <= zip.Length - 4 && zip[(int)at..] is [(byte)'P', (byte)'K', 1, 2, ..];

    private static long Clamp(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;
}
