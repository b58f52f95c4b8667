using System.Buffers.Binary;
using DmarcAnalyzer.Archives;

namespace DmarcAnalyzer.Tests.Archives;

public sealed class CompoundFileTests
{
    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static (bool Read, byte[]? Start, string Failure) ReadStart(byte[] file, string name, int maxBytes)
    {
        Assert.True(CompoundFile.TryOpen(file, out var compound, out var failure), failure);
        var read = compound.TryReadStart(name, maxBytes, out var start, out failure);
        return (read, start, failure);
    }

    private static string OpenFailure(byte[] file)
    {
        Assert.False(CompoundFile.TryOpen(file, out _, out var failure));
        return failure;
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void StreamsInTheMiniStreamAndInSectorsAreReadFromTheirStart(int majorVersion)
    {
        var small = Pattern(1000, 1);
        var large = Pattern(20_000, 2);
        var file = CompoundFileBuilder.Build(majorVersion, ("Small", small), ("Large Stream", large), ("Empty", []));
        Assert.True(CompoundFile.TryOpen(file, out var compound, out _));
        Assert.True(compound.HasStream("small"));
        Assert.False(compound.HasStream("Missing"));

        Assert.True(compound.TryReadStart("Small", 4096, out var start, out _));
        Assert.Equal(small, start);
        Assert.True(compound.TryReadStart("SMALL", 100, out start, out _));
        Assert.Equal(small[..100], start);
        Assert.True(compound.TryReadStart("Large Stream", 5000, out start, out _));
        Assert.Equal(large[..5000], start);
        Assert.True(compound.TryReadStart("Empty", 100, out start, out _));
        Assert.Equal(Array.Empty<byte>(), start);
        Assert.True(compound.TryReadStart("Missing", 100, out start, out _));
        Assert.Null(start);
    }

    [Fact]
    public void AFatLongerThanTheHeaderListsIsFoundThroughTheDifat()
    {
        // 8 MB of 512-byte sectors needs more than the 109 FAT sectors the header can list.
        var last = Pattern(4096, 3);
        var file = CompoundFileBuilder.Build(("Filler", new byte[8 << 20]), ("Last", last), ("ZZZZ last of all", last));
        Assert.NotEqual(0u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(0x48)));
        var (read, start, failure) = ReadStart(file, "ZZZZ last of all", 4096);
        Assert.True(read, failure);
        Assert.Equal(last, start);
    }

    [Fact]
    public void AFatChainThatLoopsIsAFailureNotAHang()
    {
        var file = CompoundFileBuilder.Build(("Large", Pattern(8192, 4)));
        // The stream takes sectors 0 to 15: the eighth points back at the first.
        CompoundFileBuilder.SetFatEntry(file, 7, 0);
        var (read, _, failure) = ReadStart(file, "Large", 8192);
        Assert.False(read);
        Assert.Contains("loops", failure);
    }

    [Fact]
    public void ADirectoryChainThatLoopsCannotBeOpened()
    {
        var file = CompoundFileBuilder.Build(Enumerable.Range(0, 12).Select(i => ($"S{i}", new byte[10])).ToArray());
        var directory = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(0x30));
        CompoundFileBuilder.SetFatEntry(file, directory + 1, directory);
        Assert.Contains("directory chain loops", OpenFailure(file));
    }

    [Fact]
    public void ADirectoryTreeThatLoopsCannotBeOpened()
    {
        var file = CompoundFileBuilder.Build(("A", new byte[10]), ("B", new byte[10]));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(CompoundFileBuilder.EntryOffset(file, 2) + 0x48), 1);
        Assert.Contains("directory tree loops", OpenFailure(file));
    }

    [Fact]
    public void SectorsOutsideTheFileAreAFailure()
    {
        var file = CompoundFileBuilder.Build(("Large", Pattern(8192, 5)));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(CompoundFileBuilder.EntryOffset(file, 1) + 0x74), 0x00FFFFFF);
        var (read, _, failure) = ReadStart(file, "Large", 100);
        Assert.False(read);
        Assert.Contains("outside the file", failure);

        var fatOutside = CompoundFileBuilder.Build(("Large", Pattern(8192, 5)));
        BinaryPrimitives.WriteUInt32LittleEndian(fatOutside.AsSpan(0x4C), 0x7FFFFFFF);
        Assert.Contains("outside the file", OpenFailure(fatOutside));
    }

    [Fact]
    public void SizesLargerThanTheFileAreAFailure()
    {
        var file = CompoundFileBuilder.Build(4, ("Large", Pattern(8192, 6)));
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(CompoundFileBuilder.EntryOffset(file, 1) + 0x78), 1UL << 40);
        var (read, _, failure) = ReadStart(file, "Large", 100);
        Assert.False(read);
        Assert.Contains("more than the file", failure);

        var fatCount = CompoundFileBuilder.Build(("A", new byte[10]));
        BinaryPrimitives.WriteUInt32LittleEndian(fatCount.AsSpan(0x2C), 0xFFFFFFF0);
        Assert.Contains("FAT sectors in a file of", OpenFailure(fatCount));
    }

    [Fact]
    public void Version3IgnoresTheHighHalfOfAStreamSize()
    {
        var small = Pattern(300, 7);
        var file = CompoundFileBuilder.Build(("Small", small));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(CompoundFileBuilder.EntryOffset(file, 1) + 0x7C), 0xDEADBEEF);
        var (read, start, failure) = ReadStart(file, "Small", 4096);
        Assert.True(read, failure);
        Assert.Equal(small, start);
    }

    [Fact]
    public void AMiniChainThatLoopsIsAFailure()
    {
        var file = CompoundFileBuilder.Build(("Small", Pattern(1000, 8)));
        var miniFat = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(0x3C));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan((int)(miniFat + 1) * 512 + 4 * 3), 1);
        var (read, _, failure) = ReadStart(file, "Small", 1000);
        Assert.False(read);
        Assert.Contains("mini chain loops", failure);
    }

    [Fact]
    public void UnsupportedHeadersAreNamed()
    {
        var file = CompoundFileBuilder.Build(("A", new byte[10]));
        file[0x1E] = 10;
        Assert.Contains("sector shift 10 not supported", OpenFailure(file));
        Assert.Equal("no compound file header", OpenFailure(file.AsSpan(0, 100).ToArray()));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void TruncatedAndScrambledFilesNeverThrow(int majorVersion)
    {
        var file = CompoundFileBuilder.Build(majorVersion, ("Small", Pattern(2000, 9)), ("Large", Pattern(9000, 10)));
        for (var length = 0; length <= file.Length; length += 97)
            Probe(file.AsSpan(0, length));
        var random = new Random(11);
        for (var round = 0; round < 300; round++)
        {
            var scrambled = (byte[])file.Clone();
            for (var i = 0; i < 8; i++)
                scrambled[random.Next(8, scrambled.Length)] = (byte)random.Next(256);
            Probe(scrambled);
        }
    }

    private static void Probe(ReadOnlySpan<byte> data)
    {
        if (!CompoundFile.TryOpen(data, out var file, out _))
            return;
        file.TryReadStart("Small", 4096, out _, out _);
        file.TryReadStart("Large", 4096, out _, out _);
    }
}
