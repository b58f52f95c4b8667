using System.Buffers.Binary;

namespace DmarcAnalyzer.Archives;

/// <summary>
/// How many entries a zip archive holds, learnt before anything is built from it: <see cref="System.IO.Compression.ZipArchive"/>
/// reads its whole central directory into objects first, so a few MB declaring millions of entries cost seconds and
/// gigabytes before any cap applied. Read from the end records (<see cref="ZipEndRecord"/>) as ZipArchive finds them:
/// the last end record signature, and the ZIP64 end record where its locator says, whatever they disagree on; then the
/// central directory's headers (APPNOTE 4.3.12) are walked, but never past one more than the cap, in case the end
/// records understate them.
/// </summary>
internal static class ZipEntryCount
{
    private const int CentralHeaderSize = 46;

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
        if (ZipEndRecord.Find(zip) is not { } end)
            return null;
        long declared = end.Entries;
        long directorySize = end.DirectorySize;
        long directoryOffset = end.DirectoryOffset;
        var directoryEnd = end.At;
        if (end.Locator(zip) is { } locator && locator.EndRecordOffset <= long.MaxValue
            && Zip64EndRecord.Read(zip, (long)locator.EndRecordOffset) is { } zip64)
        {
            declared = Math.Max(declared, Clamp(zip64.Entries));
            directorySize = Clamp(zip64.DirectorySize);
            directoryOffset = Clamp(zip64.DirectoryOffset);
            directoryEnd = (int)zip64.At;
        }
        if (declared > cap)
            return new Count(declared, AtLeast: false, []);
        // Where the directory says it starts, or, with bytes put in front of the archive, where its size puts it.
        var start = IsCentralHeader(zip, directoryOffset) ? directoryOffset : directoryEnd - directorySize;
        var methods = CentralHeaders(zip, start, cap + 1);
        return methods.Count > declared ? new Count(methods.Count, AtLeast: methods.Count > cap, methods) : new Count(declared, AtLeast: false, methods);
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
