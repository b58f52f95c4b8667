using System.Buffers.Binary;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// Reads a 7z file's headers (7-Zip's 7zFormat.txt) far enough to list the coders of every folder. 7-Zip compresses
/// the header by default (kEncodedHeader, LZMA), so the AES coder of encrypted files is only visible once that
/// header is decoded; with -mhe=on the header's own folder is AES. Only the header is decoded, never file data.
/// </summary>
internal static class SevenZipHeader
{
    /// <summary>The signature header: signature, version, its CRC, then next header offset, size and CRC.</summary>
    private const int StartHeaderSize = 32;

    /// <summary>7-Zip's headers are kilobytes, a few megabytes for huge archives: a larger one is refused.</summary>
    public const int MaxHeaderBytes = 16 << 20;

    /// <summary>7-Zip encodes a header once; a chain of encoded headers is cut short here.</summary>
    private const int MaxEncodings = 4;

    /// <summary>7-Zip's own limit on coders in a folder, and on streams of one coder.</summary>
    private const int MaxCoders = 64;

    private const byte End = 0x00;
    private const byte Header = 0x01;
    private const byte ArchiveProperties = 0x02;
    private const byte AdditionalStreamsInfo = 0x03;
    private const byte MainStreamsInfo = 0x04;
    private const byte FilesInfo = 0x05;
    private const byte PackInfo = 0x06;
    private const byte UnpackInfo = 0x07;
    private const byte SubStreamsInfo = 0x08;
    private const byte Size = 0x09;
    private const byte Crc = 0x0A;
    private const byte Folder = 0x0B;
    private const byte CodersUnpackSize = 0x0C;
    private const byte NumUnpackStream = 0x0D;
    private const byte EncodedHeader = 0x17;

    /// <summary>Coder ids from 7-Zip's Methods.txt.</summary>
    private static ReadOnlySpan<byte> AesCoder => [0x06, 0xF1, 0x07, 0x01];
    private static ReadOnlySpan<byte> LzmaCoder => [0x03, 0x01, 0x01];
    private static ReadOnlySpan<byte> Lzma2Coder => [0x21];
    private static ReadOnlySpan<byte> CopyCoder => [0x00];

    private sealed record Coder(byte[] Id, byte[] Properties);

    private sealed record FolderInfo(IReadOnlyList<Coder> Coders, int PackedStreams, int OutStreams)
    {
        public ulong[] UnpackSizes { get; init; } = [];
    }

    private sealed record StreamsInfo(ulong PackPosition, ulong[] PackSizes, IReadOnlyList<FolderInfo> Folders);

    /// <summary>
    /// Whether a coder of the archive, for its files or its header, is AES-256 (06F10701). Null when the headers
    /// cannot be read, and <paramref name="unreadable"/> says why. Decoding a compressed header spends
    /// <paramref name="budget"/>; a header larger than what is left is not decoded.
    /// </summary>
    public static bool? UsesAes(ReadOnlySpan<byte> archive, ref long budget, out string? unreadable)
    {
        unreadable = null;
        try
        {
            var header = NextHeader(archive);
            for (var encodings = 0; !header.IsEmpty; encodings++)
            {
                var reader = new Reader(header);
                var id = reader.ReadByte();
                if (id == Header)
                    return ReadHeader(ref reader);
                if (id != EncodedHeader)
                    throw new DamagedException($"7z header starts with unknown id {id:X2}");
                if (encodings == MaxEncodings)
                    throw new DamagedException($"7z header encoded more than {MaxEncodings} times");
                var streams = ReadStreamsInfo(ref reader);
                if (HasAes(streams))
                    return true;
                header = Unpack(archive, streams, ref budget);
            }
            return false;
        }
        catch (DamagedException e)
        {
            unreadable = e.Message;
            return null;
        }
    }

    /// <summary>
    /// The next header the start header points to. Its CRC (7zFormat.txt: StartHeaderCRC, over the 20 bytes after
    /// it) must hold: 7-Zip takes a zeroed or damaged start header for damage and searches the archive's tail for a
    /// header to open anyway, so an archive judged by anything but its real header would pass unread.
    /// </summary>
    private static ReadOnlySpan<byte> NextHeader(ReadOnlySpan<byte> archive)
    {
        if (archive.Length < StartHeaderSize)
            throw new DamagedException("7z file cut short");
        if (Crc32.Compute(archive[12..StartHeaderSize]) != BinaryPrimitives.ReadUInt32LittleEndian(archive[8..]))
            throw new DamagedException(archive[8..StartHeaderSize].ContainsAnyExcept((byte)0)
                ? "7z start header CRC mismatch"
                : "7z start header zeroed");
        var offset = BinaryPrimitives.ReadUInt64LittleEndian(archive[12..]);
        var size = BinaryPrimitives.ReadUInt64LittleEndian(archive[20..]);
        if (size > MaxHeaderBytes)
            throw new DamagedException($"7z header larger than {MaxHeaderBytes} bytes");
        var rest = (ulong)(archive.Length - StartHeaderSize);
        if (offset > rest || size > rest - offset)
            throw new DamagedException("7z file cut short");
        return archive.Slice(StartHeaderSize + (int)offset, (int)size);
    }

    private static bool HasAes(StreamsInfo streams) =>
        streams.Folders.Any(folder => folder.Coders.Any(coder => coder.Id.AsSpan().SequenceEqual(AesCoder)));

    /// <summary>The header's folders are what matter; the file list after them says nothing of encryption.</summary>
    private static bool ReadHeader(ref Reader reader)
    {
        var id = reader.ReadByte();
        if (id == ArchiveProperties)
        {
            while (reader.ReadByte() != End)
                reader.Skip(reader.ReadNumber());
            id = reader.ReadByte();
        }
        if (id == AdditionalStreamsInfo)
        {
            if (HasAes(ReadStreamsInfo(ref reader)))
                return true;
            id = reader.ReadByte();
        }
        if (id == MainStreamsInfo)
            return HasAes(ReadStreamsInfo(ref reader));
        if (id is FilesInfo or End)
            return false;
        throw new DamagedException($"7z header has unknown id {id:X2}");
    }

    private static StreamsInfo ReadStreamsInfo(ref Reader reader)
    {
        ulong packPosition = 0;
        ulong[] packSizes = [];
        var folders = new List<FolderInfo>();
        var id = reader.ReadByte();
        if (id == PackInfo)
        {
            packPosition = reader.ReadNumber();
            var count = reader.ReadCount();
            while ((id = reader.ReadByte()) != End)
            {
                if (id == Size)
                    packSizes = ReadNumbers(ref reader, count);
                else if (id == Crc)
                    SkipDigests(ref reader, count);
                else
                    throw new DamagedException($"7z pack info has unknown id {id:X2}");
            }
            id = reader.ReadByte();
        }
        var folderCrcs = Array.Empty<bool>();
        if (id == UnpackInfo)
        {
            reader.Expect(Folder);
            var count = reader.ReadCount();
            if (reader.ReadByte() != 0)
                throw new DamagedException("7z folders kept outside the header are not supported");
            for (var i = 0; i < count; i++)
                folders.Add(ReadFolder(ref reader));
            reader.Expect(CodersUnpackSize);
            for (var i = 0; i < count; i++)
                folders[i] = folders[i] with { UnpackSizes = ReadNumbers(ref reader, folders[i].OutStreams) };
            folderCrcs = new bool[count];
            while ((id = reader.ReadByte()) != End)
            {
                if (id != Crc)
                    throw new DamagedException($"7z coders info has unknown id {id:X2}");
                SkipDigests(ref reader, count, folderCrcs);
            }
            id = reader.ReadByte();
        }
        if (id == SubStreamsInfo)
        {
            SkipSubStreamsInfo(ref reader, folderCrcs);
            id = reader.ReadByte();
        }
        if (id != End)
            throw new DamagedException($"7z streams info has unknown id {id:X2}");
        return new StreamsInfo(packPosition, packSizes, folders);
    }

    /// <summary>One folder's coders; bind pairs join all but one output, the unbound inputs are packed streams.</summary>
    private static FolderInfo ReadFolder(ref Reader reader)
    {
        var count = reader.ReadNumber();
        if (count is 0 or > MaxCoders)
            throw new DamagedException($"7z folder with {count} coders");
        var coders = new List<Coder>();
        var inStreams = 0;
        var outStreams = 0;
        for (var i = 0; i < (int)count; i++)
        {
            var flags = reader.ReadByte();
            if ((flags & 0x80) != 0)
                throw new DamagedException("7z coder with alternative methods");
            var id = reader.ReadBytes(flags & 0x0F).ToArray();
            ulong coderIn = 1, coderOut = 1;
            if ((flags & 0x10) != 0)
            {
                coderIn = reader.ReadNumber();
                coderOut = reader.ReadNumber();
                if (coderIn > MaxCoders || coderOut > MaxCoders)
                    throw new DamagedException("7z coder with too many streams");
            }
            var properties = (flags & 0x20) != 0 ? reader.ReadBytes(reader.ReadCount()).ToArray() : [];
            coders.Add(new Coder(id, properties));
            inStreams += (int)coderIn;
            outStreams += (int)coderOut;
        }
        var bindPairs = outStreams - 1;
        var packedStreams = inStreams - bindPairs;
        if (bindPairs < 0 || packedStreams < 1)
            throw new DamagedException("7z folder with unbound streams");
        for (var i = 0; i < bindPairs * 2; i++)
            reader.ReadNumber();
        if (packedStreams > 1)
        {
            for (var i = 0; i < packedStreams; i++)
                reader.ReadNumber();
        }
        return new FolderInfo(coders, packedStreams, outStreams);
    }

    /// <summary>How the folders split into files; read only to get past it to what follows.</summary>
    private static void SkipSubStreamsInfo(ref Reader reader, bool[] folderCrcs)
    {
        var streams = new int[folderCrcs.Length];
        Array.Fill(streams, 1);
        var id = reader.ReadByte();
        if (id == NumUnpackStream)
        {
            for (var i = 0; i < streams.Length; i++)
                streams[i] = reader.ReadCount();
            id = reader.ReadByte();
        }
        if (id == Size)
        {
            foreach (var count in streams)
            {
                for (var i = 1; i < count; i++)
                    reader.ReadNumber();
            }
            id = reader.ReadByte();
        }
        // A folder holding one file with a known CRC gives that file its CRC; every other file lists its own.
        long digests = 0;
        for (var i = 0; i < streams.Length; i++)
        {
            if (streams[i] != 1 || !folderCrcs[i])
                digests += streams[i];
        }
        for (; id != End; id = reader.ReadByte())
        {
            if (id != Crc)
                throw new DamagedException($"7z substreams info has unknown id {id:X2}");
            SkipDigests(ref reader, digests);
        }
    }

    /// <summary>Skips the CRCs of <paramref name="count"/> streams, noting in <paramref name="defined"/> which have one.</summary>
    private static void SkipDigests(ref Reader reader, long count, bool[]? defined = null)
    {
        long present = 0;
        if (reader.ReadByte() != 0)
        {
            present = count;
            defined?.AsSpan().Fill(true);
        }
        else
        {
            if ((count + 7) / 8 > reader.Remaining)
                throw new DamagedException("7z header cut short");
            var bits = reader.ReadBytes((int)((count + 7) / 8));
            for (var i = 0; i < count; i++)
            {
                var has = (bits[i / 8] & (0x80 >> (i % 8))) != 0;
                present += has ? 1 : 0;
                if (defined is not null)
                    defined[i] = has;
            }
        }
        if (present > reader.Remaining / 4)
            throw new DamagedException("7z header cut short");
        reader.Skip(4 * (ulong)present);
    }

    private static ulong[] ReadNumbers(ref Reader reader, int count)
    {
        var numbers = new ulong[count];
        for (var i = 0; i < count; i++)
            numbers[i] = reader.ReadNumber();
        return numbers;
    }

    /// <summary>Decodes an encoded header: one folder of one coder, LZMA, LZMA2 or copy, from one packed stream.</summary>
    private static ReadOnlySpan<byte> Unpack(ReadOnlySpan<byte> archive, StreamsInfo streams, scoped ref long budget)
    {
        if (streams.Folders.Count != 1 || streams.PackSizes.Length < 1)
            throw new DamagedException($"7z header in {streams.Folders.Count} folders");
        var folder = streams.Folders[0];
        if (folder.Coders.Count != 1 || folder.PackedStreams != 1 || folder.UnpackSizes.Length != 1)
            throw new DamagedException($"7z header coded with {string.Join('+', folder.Coders.Select(c => Convert.ToHexString(c.Id)))} not supported");
        var rest = (ulong)(archive.Length - StartHeaderSize);
        var packedSize = streams.PackSizes[0];
        if (streams.PackPosition > rest || packedSize > rest - streams.PackPosition)
            throw new DamagedException("7z file cut short");
        var packed = archive.Slice(StartHeaderSize + (int)streams.PackPosition, (int)packedSize);
        var size = folder.UnpackSizes[0];
        if (size > MaxHeaderBytes)
            throw new DamagedException($"7z header larger than {MaxHeaderBytes} bytes");
        if ((long)size > budget)
            throw new DamagedException($"inflate limit reached, {budget} bytes left");
        budget -= (long)size;

        var coder = folder.Coders[0];
        if (coder.Id.AsSpan().SequenceEqual(CopyCoder))
        {
            if (packedSize != size)
                throw new DamagedException("7z stored header of the wrong size");
            return packed;
        }
        var decoder = new LzmaDecoder((int)size);
        string? error;
        if (coder.Id.AsSpan().SequenceEqual(LzmaCoder))
            error = coder.Properties.Length == 5 && decoder.SetProperties(coder.Properties[0])
                ? decoder.Decode(packed, (long)size)
                : "LZMA properties out of range";
        else if (coder.Id.AsSpan().SequenceEqual(Lzma2Coder))
            error = coder.Properties.Length == 1 && coder.Properties[0] <= 40
                ? Lzma2Decoder.Decode(packed, decoder)
                : "LZMA2 properties out of range";
        else
            throw new DamagedException($"7z header coded with {Convert.ToHexString(coder.Id)} not supported");
        if (error is null && decoder.Output.Length != (int)size)
            error = "header shorter than it says";
        return error is null ? decoder.Output : throw new DamagedException($"7z header: {error}");
    }

    private sealed class DamagedException(string message) : Exception(message);

    /// <summary>Reads the header's bytes and numbers; running past the end is damage.</summary>
    private ref struct Reader
    {
        private readonly ReadOnlySpan<byte> data;
        private int position;

        public Reader(ReadOnlySpan<byte> data) => this.data = data;

        public readonly int Remaining => data.Length - position;

        public byte ReadByte() =>
            position < data.Length ? data[position++] : throw new DamagedException("7z header cut short");

        public void Expect(byte id)
        {
            if (ReadByte() != id)
                throw new DamagedException($"7z header lacks id {id:X2}");
        }

        /// <summary>
        /// 7z's UINT64: the leading one bits of the first byte count the little-endian bytes that follow; the
        /// first byte's remaining bits are the value's highest.
        /// </summary>
        public ulong ReadNumber()
        {
            var first = ReadByte();
            ulong value = 0;
            var mask = 0x80;
            for (var i = 0; i < 8; i++)
            {
                if ((first & mask) == 0)
                    return value | ((ulong)(first & (mask - 1)) << (8 * i));
                value |= (ulong)ReadByte() << (8 * i);
                mask >>= 1;
            }
            return value;
        }

        /// <summary>A count of things that each take at least a byte of what is left.</summary>
        public int ReadCount()
        {
            var count = ReadNumber();
            return count <= (ulong)Remaining ? (int)count : throw new DamagedException("7z header count larger than the header");
        }

        public ReadOnlySpan<byte> ReadBytes(int count)
        {
            if (count > Remaining)
                throw new DamagedException("7z header cut short");
            var bytes = data.Slice(position, count);
            position += count;
            return bytes;
        }

        public void Skip(ulong count)
        {
            if (count > (ulong)Remaining)
                throw new DamagedException("7z header cut short");
            position += (int)count;
        }
    }
}
