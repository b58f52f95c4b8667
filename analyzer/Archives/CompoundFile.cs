using System.Buffers.Binary;
using System.Collections;
using System.Text;

namespace DmarcAnalyzer.Archives;

/// <summary>
/// A bounded reader of a Compound File Binary file ([MS-CFB]) held in memory: the streams of its root storage by name
/// and the first bytes of one. Every chain is checked against the file (each sector inside it, none twice, no more
/// than the file holds) and every size against the file's length, so hostile input ends in a reason why the file
/// cannot be read, never in an exception or a hang.
/// </summary>
internal readonly ref struct CompoundFile
{
    public static ReadOnlySpan<byte> Signature => [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

    private const int HeaderSize = 512;
    private const int HeaderDifatEntries = 109;
    private const int EntrySize = 128;
    private const int MiniSectorSize = 64;
    private const uint MiniStreamCutoff = 4096;
    private const uint EndOfChain = 0xFFFFFFFE;
    private const uint NoStream = 0xFFFFFFFF;
    private const byte StorageObject = 1;
    private const byte StreamObject = 2;
    private const byte RootStorageObject = 5;

    /// <summary>Caps the directory at 4096 sectors (16,384 entries at 512 bytes): far beyond any Office document.</summary>
    private const int MaxDirectorySectors = 4096;

    private readonly ReadOnlySpan<byte> data;
    private readonly int sectorShift;
    private readonly uint sectorCount;
    private readonly uint[] fatSectors;
    private readonly uint miniFatStart;
    private readonly uint miniFatSectorCount;
    private readonly uint miniStreamStart;
    private readonly long miniStreamSize;
    private readonly Dictionary<string, StreamEntry> streams;

    private readonly record struct StreamEntry(uint Start, long Size);

    private sealed class UnreadableException(string reason) : Exception(reason);

    private CompoundFile(ReadOnlySpan<byte> data)
    {
        this.data = data;
        // [MS-CFB] 2.2: the header; version 3 has 512-byte sectors, version 4 4096-byte ones, mini sectors are 64 bytes.
        if (data.Length < HeaderSize || !data.StartsWith(Signature))
            throw new UnreadableException("no compound file header");
        var major = U16(0x1A);
        sectorShift = U16(0x1E);
        if (U16(0x1C) != 0xFFFE || !(major == 3 && sectorShift == 9 || major == 4 && sectorShift == 12))
            throw new UnreadableException($"version {major} with sector shift {sectorShift} not supported");
        if (U16(0x20) != 6 || U32(0x38) != MiniStreamCutoff)
            throw new UnreadableException("unexpected mini sector size or cutoff");
        var sectorSize = 1 << sectorShift;
        // The last sector may be cut short; sector n starts at (n + 1) * sector size (the header fills sector -1).
        sectorCount = (uint)(((long)data.Length - 1) >> sectorShift);
        if (sectorCount == 0)
            throw new UnreadableException("no sectors after the header");
        fatSectors = ReadDifat();
        miniFatStart = U32(0x3C);
        miniFatSectorCount = U32(0x40);

        var directory = Walk(U32(0x30), MaxDirectorySectors + 1, "directory");
        if (directory.Count > MaxDirectorySectors)
            throw new UnreadableException($"directory of more than {MaxDirectorySectors} sectors");
        var root = EntryOffset(directory, 0);
        if (data[(int)root + 0x42] != RootStorageObject)
            throw new UnreadableException("first directory entry is not the root storage");
        miniStreamStart = U32(root + 0x74);
        miniStreamSize = Size(root, major);
        streams = RootStreams(directory, U32(root + 0x4C), major);
    }

    /// <summary>
    /// Opens <paramref name="data"/> as a compound file; false with the <paramref name="failure"/> when its header,
    /// FAT or directory cannot be read.
    /// </summary>
    public static bool TryOpen(ReadOnlySpan<byte> data, out CompoundFile file, out string failure)
    {
        try
        {
            file = new CompoundFile(data);
            failure = "";
            return true;
        }
        catch (UnreadableException e)
        {
            file = default;
            failure = e.Message;
            return false;
        }
    }

    /// <summary>Whether the root storage holds a stream named <paramref name="name"/> (case-insensitive, [MS-CFB] 2.6.4).</summary>
    public bool HasStream(string name) => streams.ContainsKey(name);

    /// <summary>
    /// The first <paramref name="maxBytes"/> bytes (fewer when the stream is shorter) of the root storage's stream
    /// <paramref name="name"/> in <paramref name="start"/>, null when there is no such stream; false with the
    /// <paramref name="failure"/> when the stream's chain or size does not fit the file.
    /// </summary>
    public bool TryReadStart(string name, int maxBytes, out byte[]? start, out string failure)
    {
        start = null;
        failure = "";
        if (!streams.TryGetValue(name, out var entry))
            return true;
        try
        {
            if (entry.Size > data.Length)
                throw new UnreadableException($"stream {name} claims {entry.Size} bytes, more than the file");
            var length = (int)Math.Min(entry.Size, maxBytes);
            start = entry.Size < MiniStreamCutoff ? ReadMini(entry.Start, length) : ReadRegular(entry.Start, length);
            return true;
        }
        catch (UnreadableException e)
        {
            failure = $"stream {name}: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// The FAT's sectors: the first 109 listed in the header, the rest in the DIFAT chain, whose sectors each end
    /// with the number of the next ([MS-CFB] 2.5).
    /// </summary>
    private uint[] ReadDifat()
    {
        var count = U32(0x2C);
        if (count == 0 || count > sectorCount)
            throw new UnreadableException($"{count} FAT sectors in a file of {sectorCount} sectors");
        var sectors = new uint[count];
        var filled = 0;
        for (; filled < count && filled < HeaderDifatEntries; filled++)
            sectors[filled] = U32(0x4C + 4 * filled);
        var perDifatSector = (1 << sectorShift) / 4 - 1;
        var visited = new BitArray((int)sectorCount);
        for (var difat = U32(0x44); filled < count; difat = U32(Offset(difat) + 4 * perDifatSector))
        {
            CheckSector(difat, visited, "DIFAT");
            for (var i = 0; i < perDifatSector && filled < count; i++)
                sectors[filled++] = U32(Offset(difat) + 4 * i);
        }
        foreach (var sector in sectors)
        {
            if (sector >= sectorCount || Offset(sector) + (1 << sectorShift) > data.Length)
                throw new UnreadableException($"FAT sector {sector} outside the file");
        }
        return sectors;
    }

    /// <summary>
    /// The streams among the root storage's children, a red-black tree of sibling links ([MS-CFB] 2.6.4), walked in
    /// full and in bounded memory so that a writer's odd ordering cannot hide a stream.
    /// </summary>
    private Dictionary<string, StreamEntry> RootStreams(List<uint> directory, uint firstChild, int major)
    {
        var entryCount = directory.Count << (sectorShift - 7);
        var visited = new BitArray(entryCount);
        var found = new Dictionary<string, StreamEntry>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<uint>();
        pending.Push(firstChild);
        while (pending.TryPop(out var id))
        {
            if (id == NoStream)
                continue;
            if (id >= entryCount)
                throw new UnreadableException($"directory entry {id} outside the directory");
            if (visited[(int)id])
                throw new UnreadableException("directory tree loops");
            visited[(int)id] = true;
            var entry = EntryOffset(directory, id);
            var type = data[(int)entry + 0x42];
            if (type is StreamObject or StorageObject)
            {
                var nameLength = U16(entry + 0x40);
                if (nameLength < 2 || nameLength > 64 || nameLength % 2 != 0)
                    throw new UnreadableException($"directory entry {id} has a name of {nameLength} bytes");
                var name = Encoding.Unicode.GetString(data.Slice((int)entry, nameLength - 2));
                if (type == StreamObject && !found.TryAdd(name, new StreamEntry(U32(entry + 0x74), Size(entry, major))))
                    throw new UnreadableException($"two streams named {name}");
            }
            pending.Push(U32(entry + 0x44));
            pending.Push(U32(entry + 0x48));
        }
        return found;
    }

    private byte[] ReadRegular(uint start, int length)
    {
        var sectorSize = 1 << sectorShift;
        var sectors = Walk(start, (length + sectorSize - 1) >> sectorShift, "stream");
        var bytes = new byte[length];
        for (var i = 0; i < sectors.Count; i++)
            Copy(Offset(sectors[i]), bytes.AsSpan(i * sectorSize, Math.Min(sectorSize, length - i * sectorSize)));
        if ((long)sectors.Count * sectorSize < length)
            throw new UnreadableException("chain shorter than the stream");
        return bytes;
    }

    /// <summary>
    /// A stream under the cutoff lives in 64-byte mini sectors of the mini stream (the root entry's stream), chained
    /// by the mini FAT ([MS-CFB] 2.4).
    /// </summary>
    private byte[] ReadMini(uint start, int length)
    {
        var bytes = new byte[length];
        if (length == 0)
            return bytes;
        if (miniStreamSize > data.Length || miniFatSectorCount > sectorCount)
            throw new UnreadableException("mini stream or mini FAT larger than the file");
        var sectorSize = 1 << sectorShift;
        var miniStream = Walk(miniStreamStart, (int)((miniStreamSize + sectorSize - 1) >> sectorShift), "mini stream");
        var miniFat = Walk(miniFatStart, (int)miniFatSectorCount, "mini FAT");
        var miniSectorCount = Math.Min(miniStreamSize, (long)miniStream.Count << sectorShift) / MiniSectorSize;
        var visited = new HashSet<uint>();
        var sector = start;
        for (var copied = 0; copied < length; copied += MiniSectorSize)
        {
            if (sector >= miniSectorCount)
                throw new UnreadableException($"mini sector {sector} outside the mini stream");
            if (!visited.Add(sector))
                throw new UnreadableException("mini chain loops");
            var position = (long)sector * MiniSectorSize;
            Copy(Offset(miniStream[(int)(position >> sectorShift)]) + (position & (sectorSize - 1)),
                bytes.AsSpan(copied, Math.Min(MiniSectorSize, length - copied)));
            var fatPosition = (long)sector * 4;
            if (fatPosition >> sectorShift >= miniFat.Count)
                throw new UnreadableException($"mini sector {sector} not in the mini FAT");
            sector = U32(Offset(miniFat[(int)(fatPosition >> sectorShift)]) + (fatPosition & (sectorSize - 1)));
        }
        return bytes;
    }

    /// <summary>
    /// The chain from <paramref name="start"/> up to its end or <paramref name="limit"/> sectors. A sector outside the
    /// file or met twice ends the reading: with no sector twice, no chain is longer than the file.
    /// </summary>
    private List<uint> Walk(uint start, int limit, string what)
    {
        var sectors = new List<uint>();
        var visited = new BitArray((int)sectorCount);
        for (var sector = start; sector != EndOfChain && sectors.Count < limit; sector = NextSector(sector))
        {
            CheckSector(sector, visited, what);
            sectors.Add(sector);
        }
        return sectors;
    }

    private void CheckSector(uint sector, BitArray visited, string what)
    {
        if (sector >= sectorCount)
            throw new UnreadableException($"{what} chain reaches sector 0x{sector:X} outside the file");
        if (visited[(int)sector])
            throw new UnreadableException($"{what} chain loops");
        visited[(int)sector] = true;
    }

    /// <summary>The FAT entry of <paramref name="sector"/>: the next sector of its chain ([MS-CFB] 2.3).</summary>
    private uint NextSector(uint sector)
    {
        var perFatSector = (uint)(1 << sectorShift) / 4;
        var fatIndex = sector / perFatSector;
        if (fatIndex >= fatSectors.Length)
            throw new UnreadableException($"sector {sector} beyond the FAT");
        return U32(Offset(fatSectors[fatIndex]) + 4 * (sector % perFatSector));
    }

    private long EntryOffset(List<uint> directory, uint id)
    {
        var perSector = 1 << (sectorShift - 7);
        if (id >= directory.Count * (long)perSector)
            throw new UnreadableException($"directory entry {id} outside the directory");
        var offset = Offset(directory[(int)(id / perSector)]) + (id % perSector) * EntrySize;
        if (offset + EntrySize > data.Length)
            throw new UnreadableException("directory cut short");
        return offset;
    }

    /// <summary>
    /// A stream's size; a version 3 file keeps it in the low 32 bits, the high ones left uninitialised by some old
    /// writers ([MS-CFB] 2.6.3).
    /// </summary>
    private long Size(long entry, int major)
    {
        var size = BinaryPrimitives.ReadUInt64LittleEndian(Bytes(entry + 0x78, 8));
        if (major == 3)
            size &= 0xFFFFFFFF;
        return size > long.MaxValue ? long.MaxValue : (long)size;
    }

    private long Offset(uint sector) => ((long)sector + 1) << sectorShift;

    private void Copy(long offset, Span<byte> destination) => Bytes(offset, destination.Length).CopyTo(destination);

    private ushort U16(long offset) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(offset, 2));

    private uint U32(long offset) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(offset, 4));

    private ReadOnlySpan<byte> Bytes(long offset, int length) =>
        offset >= 0 && offset + length <= data.Length
            ? data.Slice((int)offset, length)
            : throw new UnreadableException("file cut short");
}
