using System.Buffers.Binary;
using System.IO.Hashing;

namespace DmarcAnalyzer.Archives;

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

    /// <summary>
    /// 7-Zip encodes a header once and its reader wants a plain header after decoding one ("Headers Error"
    /// otherwise): a chain of encoded headers is damage, refused before it costs a second decoding.
    /// </summary>
    private const int MaxEncodings = 1;

    /// <summary>
    /// What a byte of decoded header takes from the message's budget: LZMA, range-decoded bit by bit, costs several
    /// times the work per byte that inflating does (bench/content measures it), and the budget bounds work.
    /// </summary>
    private const int LzmaCostPerByte = 8;

    /// <summary>7-Zip's own limit on coders in a folder, and on streams of one coder.</summary>
    private const int MaxCoders = 64;

    /// <summary>
    /// 7-Zip makes a folder per solid block (per file with -ms=off): an archive of more is not an attachment's, and
    /// the cap bounds the work a small, highly compressed header can ask for.
    /// </summary>
    public const int MaxFolders = 1 << 16;

    /// <summary>A folder has one packed stream, four at most with BCJ2.</summary>
    private const int MaxPackedStreams = 4 * MaxFolders;

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

    /// <summary>
    /// A folder as the reader keeps it: its counts, whether a coder is AES, and for the first folder only (what an
    /// encoded header's decoding needs) its first coder's id and properties.
    /// </summary>
    private readonly record struct FolderInfo(int Coders, int PackedStreams, int OutStreams, bool UsesAes, byte[] CoderId, byte[] CoderProperties);

    /// <summary>
    /// What is kept of a streams info while it is read folder by folder: whether any coder is AES, and what decoding
    /// an encoded header needs (its one folder, packed stream and unpack size). Nothing grows with the counts.
    /// </summary>
    private readonly record struct StreamsInfo(bool UsesAes, ulong PackPosition, ulong? FirstPackSize, int Folders, FolderInfo FirstFolder, ulong? FirstUnpackSize);

    /// <summary>Where a digest list's "defined" bits are: all set, or a bit vector at a position of the header.</summary>
    private readonly record struct Digests(bool All, int BitsAt);

    /// <summary>
    /// Whether a coder of the archive, for its files or its header, is AES-256 (06F10701). Null when the headers
    /// cannot be read, and <paramref name="unreadable"/> says why. Decoding a compressed header spends from
    /// <paramref name="budget"/>; a header larger than what is left is not decoded.
    /// </summary>
    public static bool? UsesAes(ReadOnlySpan<byte> archive, InspectionBudget budget, out string? unreadable)
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
                    throw new DamagedException($"7z header encoded more than {MaxEncodings} time");
                var streams = ReadStreamsInfo(ref reader);
                if (streams.UsesAes)
                    return true;
                header = Unpack(archive, streams, budget);
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
        if (!StartHeaderHolds(archive))
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

    /// <summary>Whether the start header's CRC holds: what tells a 7z archive found past byte 0 from bytes that look like its signature.</summary>
    public static bool StartHeaderHolds(ReadOnlySpan<byte> archive) =>
        archive.Length >= StartHeaderSize && Crc32.HashToUInt32(archive[12..StartHeaderSize]) == BinaryPrimitives.ReadUInt32LittleEndian(archive[8..]);

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
            if (ReadStreamsInfo(ref reader).UsesAes)
                return true;
            id = reader.ReadByte();
        }
        if (id == MainStreamsInfo)
            return ReadStreamsInfo(ref reader).UsesAes;
        if (id is FilesInfo or End)
            return false;
        throw new DamagedException($"7z header has unknown id {id:X2}");
    }

    private static StreamsInfo ReadStreamsInfo(ref Reader reader)
    {
        ulong packPosition = 0;
        ulong? firstPackSize = null;
        var id = reader.ReadByte();
        if (id == PackInfo)
        {
            packPosition = reader.ReadNumber();
            var count = reader.ReadCount(MaxPackedStreams, "packed streams");
            while ((id = reader.ReadByte()) != End)
            {
                if (id == Size)
                {
                    for (var i = 0; i < count; i++)
                    {
                        var size = reader.ReadNumber();
                        firstPackSize ??= size;
                    }
                }
                else if (id == Crc)
                    SkipDigests(ref reader, count);
                else
                    throw new DamagedException($"7z pack info has unknown id {id:X2}");
            }
            id = reader.ReadByte();
        }
        var folders = 0;
        var usesAes = false;
        FolderInfo first = default;
        ulong? firstUnpackSize = null;
        var folderCrcs = new Digests(false, -1);
        if (id == UnpackInfo)
        {
            reader.Expect(Folder);
            folders = reader.ReadCount(MaxFolders, "folders");
            if (reader.ReadByte() != 0)
                throw new DamagedException("7z folders kept outside the header are not supported");
            long unpackSizes = 0;
            for (var i = 0; i < folders; i++)
            {
                var folder = ReadFolder(ref reader, keep: i == 0);
                if (i == 0)
                    first = folder;
                usesAes |= folder.UsesAes;
                unpackSizes += folder.OutStreams;
            }
            reader.Expect(CodersUnpackSize);
            for (long i = 0; i < unpackSizes; i++)
            {
                var size = reader.ReadNumber();
                firstUnpackSize ??= size;
            }
            while ((id = reader.ReadByte()) != End)
            {
                if (id != Crc)
                    throw new DamagedException($"7z coders info has unknown id {id:X2}");
                folderCrcs = SkipDigests(ref reader, folders);
            }
            id = reader.ReadByte();
        }
        if (id == SubStreamsInfo)
        {
            SkipSubStreamsInfo(ref reader, folders, folderCrcs);
            id = reader.ReadByte();
        }
        if (id != End)
            throw new DamagedException($"7z streams info has unknown id {id:X2}");
        return new StreamsInfo(usesAes, packPosition, firstPackSize, folders, first, firstUnpackSize);
    }

    /// <summary>
    /// One folder's coders; bind pairs join all but one output, the unbound inputs are packed streams. The first
    /// coder's id and properties are copied only when <paramref name="keep"/>.
    /// </summary>
    private static FolderInfo ReadFolder(ref Reader reader, bool keep)
    {
        var count = reader.ReadNumber();
        if (count is 0 or > MaxCoders)
            throw new DamagedException($"7z folder with {count} coders");
        var usesAes = false;
        byte[] firstId = [], firstProperties = [];
        var inStreams = 0;
        var outStreams = 0;
        for (var i = 0; i < (int)count; i++)
        {
            var flags = reader.ReadByte();
            if ((flags & 0x80) != 0)
                throw new DamagedException("7z coder with alternative methods");
            var id = reader.ReadBytes(flags & 0x0F);
            usesAes |= id.SequenceEqual(AesCoder);
            ulong coderIn = 1, coderOut = 1;
            if ((flags & 0x10) != 0)
            {
                coderIn = reader.ReadNumber();
                coderOut = reader.ReadNumber();
                if (coderIn > MaxCoders || coderOut > MaxCoders)
                    throw new DamagedException("7z coder with too many streams");
            }
            var properties = (flags & 0x20) != 0 ? reader.ReadBytes(reader.ReadCount()) : [];
            if (keep && i == 0)
                (firstId, firstProperties) = (id.ToArray(), properties.ToArray());
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
        return new FolderInfo((int)count, packedStreams, outStreams, usesAes, firstId, firstProperties);
    }

    /// <summary>
    /// How the folders split into files; read only to get past it to what follows. The per-folder file counts are
    /// read again from where they stand rather than kept, so nothing is allocated for them.
    /// </summary>
    private static void SkipSubStreamsInfo(ref Reader reader, int folders, Digests folderCrcs)
    {
        var countsAt = -1;
        var id = reader.ReadByte();
        if (id == NumUnpackStream)
        {
            countsAt = reader.Position;
            for (var i = 0; i < folders; i++)
                reader.ReadCount();
            id = reader.ReadByte();
        }
        if (id == Size)
        {
            var counts = reader.At(countsAt);
            for (var folder = 0; folder < folders; folder++)
            {
                var files = countsAt < 0 ? 1 : counts.ReadCount();
                for (var i = 1; i < files; i++)
                    reader.ReadNumber();
            }
            id = reader.ReadByte();
        }
        // A folder holding one file with a known CRC gives that file its CRC; every other file lists its own.
        long digests = 0;
        var again = reader.At(countsAt);
        for (var folder = 0; folder < folders; folder++)
        {
            var files = countsAt < 0 ? 1 : again.ReadCount();
            if (files != 1 || !(folderCrcs.All || folderCrcs.BitsAt >= 0 && reader.Bit(folderCrcs.BitsAt, folder)))
                digests += files;
        }
        for (; id != End; id = reader.ReadByte())
        {
            if (id != Crc)
                throw new DamagedException($"7z substreams info has unknown id {id:X2}");
            SkipDigests(ref reader, digests);
        }
    }

    /// <summary>Skips the CRCs of <paramref name="count"/> streams; says where the bits of those defined are.</summary>
    private static Digests SkipDigests(ref Reader reader, long count)
    {
        var all = reader.ReadByte() != 0;
        var bitsAt = reader.Position;
        long present = count;
        if (!all)
        {
            if ((count + 7) / 8 > reader.Remaining)
                throw new DamagedException("7z header cut short");
            var bits = reader.ReadBytes((int)((count + 7) / 8));
            present = 0;
            for (var i = 0; i < count; i++)
                present += (bits[i / 8] >> (7 - i % 8)) & 1;
        }
        if (present > reader.Remaining / 4)
            throw new DamagedException("7z header cut short");
        reader.Skip(4 * (ulong)present);
        return new Digests(all, bitsAt);
    }

    /// <summary>Decodes an encoded header: one folder of one coder, LZMA, LZMA2 or copy, from one packed stream.</summary>
    private static ReadOnlySpan<byte> Unpack(ReadOnlySpan<byte> archive, StreamsInfo streams, InspectionBudget budget)
    {
        if (streams.Folders != 1 || streams.FirstPackSize is not { } packedSize || streams.FirstUnpackSize is not { } size)
            throw new DamagedException($"7z header in {streams.Folders} folders");
        var folder = streams.FirstFolder;
        if (folder.Coders != 1 || folder.PackedStreams != 1 || folder.OutStreams != 1)
            throw new DamagedException($"7z header coded with {folder.Coders} coders not supported");
        var rest = (ulong)(archive.Length - StartHeaderSize);
        if (streams.PackPosition > rest || packedSize > rest - streams.PackPosition)
            throw new DamagedException("7z file cut short");
        var packed = archive.Slice(StartHeaderSize + (int)streams.PackPosition, (int)packedSize);
        if (size > MaxHeaderBytes)
            throw new DamagedException($"7z header larger than {MaxHeaderBytes} bytes");
        if (!budget.TrySpend((long)size * LzmaCostPerByte))
            throw new DamagedException($"inflate limit reached, {budget.Remaining} bytes left for the message");

        var coder = folder.CoderId.AsSpan();
        var properties = folder.CoderProperties;
        if (coder.SequenceEqual(CopyCoder))
        {
            if (packedSize != size)
                throw new DamagedException("7z stored header of the wrong size");
            return packed;
        }
        var decoder = new LzmaDecoder((int)size, budget.Cancellation);
        string? error;
        if (coder.SequenceEqual(LzmaCoder))
            error = properties.Length == 5 && decoder.SetProperties(properties[0])
                ? decoder.Decode(packed, (long)size)
                : "LZMA properties out of range";
        else if (coder.SequenceEqual(Lzma2Coder))
            error = properties.Length == 1 && properties[0] <= 40
                ? Lzma2Decoder.Decode(packed, decoder)
                : "LZMA2 properties out of range";
        else
            throw new DamagedException($"7z header coded with {Convert.ToHexString(coder)} not supported");
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

        public readonly int Position => position;

        /// <summary>A reader over the same header from <paramref name="at"/>, to read a list again.</summary>
        public readonly Reader At(int at) => new(data) { position = Math.Max(at, 0) };

        /// <summary>Bit <paramref name="index"/> of a bit vector at <paramref name="at"/>, most significant first.</summary>
        public readonly bool Bit(int at, int index) => (data[at + index / 8] & (0x80 >> (index % 8))) != 0;

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

        /// <summary>A count of <paramref name="what"/>, refused above <paramref name="max"/>.</summary>
        public int ReadCount(int max, string what)
        {
            var count = ReadCount();
            return count <= max ? count : throw new DamagedException($"7z header with {count} {what}, more than the {max} inspected");
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
