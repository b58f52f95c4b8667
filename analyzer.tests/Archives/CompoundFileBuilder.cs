using System.Buffers.Binary;
using System.Text;
using DmarcAnalyzer.Archives;

namespace DmarcAnalyzer.Tests.Archives;

/// <summary>
/// Writes small, valid compound files ([MS-CFB]) for tests, laid out as: regular streams (4096 bytes and more), the
/// mini stream, the mini FAT, the directory, the DIFAT, then the FAT. Streams under 4096 bytes go to the mini stream.
/// The root's children are chained through right siblings in the order of [MS-CFB] 2.6.4 (length, then upper case).
/// </summary>
internal static class CompoundFileBuilder
{
    public const uint EndOfChain = 0xFFFFFFFE;
    private const uint FreeSector = 0xFFFFFFFF;
    private const uint FatSector = 0xFFFFFFFD;
    private const uint DifatSector = 0xFFFFFFFC;
    private const uint NoStream = 0xFFFFFFFF;

    public static byte[] Build(params (string Name, byte[] Content)[] streams) => Build(3, streams);

    public static byte[] Build(int majorVersion, params (string Name, byte[] Content)[] streams)
    {
        var sectorSize = majorVersion == 3 ? 512 : 4096;
        var perFat = sectorSize / 4;
        var fat = new List<uint>();
        var sectors = new List<byte[]>();

        uint Allocate(byte[] content)
        {
            var count = (content.Length + sectorSize - 1) / sectorSize;
            if (count == 0)
                return EndOfChain;
            var first = (uint)sectors.Count;
            for (var i = 0; i < count; i++)
            {
                var sector = new byte[sectorSize];
                content.AsSpan(i * sectorSize, Math.Min(sectorSize, content.Length - i * sectorSize)).CopyTo(sector);
                sectors.Add(sector);
                fat.Add(i == count - 1 ? EndOfChain : first + (uint)i + 1);
            }
            return first;
        }

        var ordered = streams.OrderBy(s => s.Name.Length).ThenBy(s => s.Name.ToUpperInvariant(), StringComparer.Ordinal).ToArray();
        var starts = new uint[ordered.Length];
        var miniStream = new MemoryStream();
        var miniFat = new List<uint>();
        for (var i = 0; i < ordered.Length; i++)
        {
            var content = ordered[i].Content;
            if (content.Length >= 4096)
            {
                starts[i] = Allocate(content);
                continue;
            }
            var count = (content.Length + 63) / 64;
            starts[i] = count == 0 ? EndOfChain : (uint)miniFat.Count;
            for (var j = 0; j < count; j++)
                miniFat.Add(j == count - 1 ? EndOfChain : (uint)miniFat.Count + 1);
            miniStream.Write(content);
            miniStream.Write(new byte[count * 64 - content.Length]);
        }
        var miniStreamStart = Allocate(miniStream.ToArray());
        var miniFatBytes = new byte[miniFat.Count * 4];
        for (var i = 0; i < miniFat.Count; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(miniFatBytes.AsSpan(i * 4), miniFat[i]);
        var miniFatStart = Allocate(miniFatBytes);
        var miniFatSectors = (miniFatBytes.Length + sectorSize - 1) / sectorSize;

        var directory = new byte[((ordered.Length + 1) * 128 + sectorSize - 1) / sectorSize * sectorSize];
        for (var id = ordered.Length + 1; id < directory.Length / 128; id++)
            Entry(directory, id, "", 0, NoStream, NoStream, 0, 0);
        Entry(directory, 0, "Root Entry", 5, ordered.Length > 0 ? 1u : NoStream, miniStreamStart, miniStream.Length, NoStream);
        for (var i = 0; i < ordered.Length; i++)
            Entry(directory, i + 1, ordered[i].Name, 2, NoStream, starts[i], ordered[i].Content.Length, i + 1 < ordered.Length ? (uint)i + 2 : NoStream);
        var directoryStart = Allocate(directory);

        int fatCount = 1, difatCount = 0;
        while (true)
        {
            var needed = (sectors.Count + fatCount + difatCount + perFat - 1) / perFat;
            var neededDifat = needed > 109 ? (needed - 109 + perFat - 2) / (perFat - 1) : 0;
            if (needed == fatCount && neededDifat == difatCount)
                break;
            (fatCount, difatCount) = (needed, neededDifat);
        }
        var difatStart = (uint)sectors.Count;
        var fatStart = difatStart + (uint)difatCount;
        for (var i = 0; i < difatCount; i++)
        {
            var sector = new byte[sectorSize];
            sector.AsSpan().Fill(0xFF);
            for (var j = 0; j < perFat - 1; j++)
            {
                var index = 109 + i * (perFat - 1) + j;
                if (index < fatCount)
                    BinaryPrimitives.WriteUInt32LittleEndian(sector.AsSpan(j * 4), fatStart + (uint)index);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(sector.AsSpan(sectorSize - 4), i + 1 < difatCount ? difatStart + (uint)i + 1 : EndOfChain);
            sectors.Add(sector);
            fat.Add(DifatSector);
        }
        for (var i = 0; i < fatCount; i++)
            fat.Add(FatSector);
        while (fat.Count < fatCount * perFat)
            fat.Add(FreeSector);
        var fatBytes = new byte[fat.Count * 4];
        for (var i = 0; i < fat.Count; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(fatBytes.AsSpan(i * 4), fat[i]);
        for (var i = 0; i < fatCount; i++)
            sectors.Add(fatBytes.AsSpan(i * sectorSize, sectorSize).ToArray());

        var file = new byte[sectorSize * (sectors.Count + 1)];
        var header = file.AsSpan();
        byte[] signature = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        signature.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[0x18..], 0x3E);
        BinaryPrimitives.WriteUInt16LittleEndian(header[0x1A..], (ushort)majorVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header[0x1C..], 0xFFFE);
        BinaryPrimitives.WriteUInt16LittleEndian(header[0x1E..], (ushort)(majorVersion == 3 ? 9 : 12));
        BinaryPrimitives.WriteUInt16LittleEndian(header[0x20..], 6);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x28..], majorVersion == 3 ? 0u : (uint)(directory.Length / sectorSize));
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x2C..], (uint)fatCount);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x30..], directoryStart);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x38..], 4096);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x3C..], miniFatStart);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x40..], (uint)miniFatSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x44..], difatCount > 0 ? difatStart : EndOfChain);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x48..], (uint)difatCount);
        for (var i = 0; i < 109; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(header[(0x4C + 4 * i)..], i < fatCount ? fatStart + (uint)i : FreeSector);
        for (var i = 0; i < sectors.Count; i++)
            sectors[i].CopyTo(file, sectorSize * (i + 1));
        return file;
    }

    /// <summary>The file's sector size, from its header.</summary>
    public static int SectorSize(byte[] file) => 1 << BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(0x1E));

    /// <summary>Sets the FAT entry of <paramref name="sector"/> (the FAT's first sectors are listed in the header).</summary>
    public static void SetFatEntry(byte[] file, uint sector, uint next)
    {
        var size = SectorSize(file);
        var fatSector = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(0x4C + 4 * (int)(sector / (size / 4))));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan((int)((fatSector + 1) * size + sector % (size / 4) * 4)), next);
    }

    /// <summary>The offset of directory entry <paramref name="id"/> (the builder writes the directory in one run).</summary>
    public static int EntryOffset(byte[] file, int id)
    {
        var size = SectorSize(file);
        return (int)((BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(0x30)) + 1) * size) + id * 128;
    }

    private static void Entry(byte[] directory, int id, string name, byte type, uint child, uint start, long size, uint right)
    {
        var entry = directory.AsSpan(id * 128, 128);
        if (name.Length > 0)
        {
            Encoding.Unicode.GetBytes(name).CopyTo(entry);
            BinaryPrimitives.WriteUInt16LittleEndian(entry[0x40..], (ushort)((name.Length + 1) * 2));
        }
        entry[0x42] = type;
        entry[0x43] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(entry[0x44..], NoStream);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[0x48..], right);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[0x4C..], child);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[0x74..], type == 0 ? 0 : start);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[0x78..], (ulong)size);
    }
}
