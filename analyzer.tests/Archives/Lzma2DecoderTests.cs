using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Tests.Filter;

namespace DmarcAnalyzer.Tests.Archives;

/// <summary>Our LZMA2 chunk reader against raw LZMA2 streams made by xz (--format=raw --lzma2).</summary>
public sealed class Lzma2DecoderTests
{
    private static string? Decode(byte[] stream, int limit, out byte[] output)
    {
        var decoder = new LzmaDecoder(limit);
        var error = Lzma2Decoder.Decode(stream, decoder);
        output = decoder.Output.ToArray();
        return error;
    }

    private static byte[] Incompressible(int size)
    {
        var bytes = new byte[size];
        new Random(9).NextBytes(bytes);
        return bytes;
    }

    [Theory]
    [InlineData("preset=0")]
    [InlineData("preset=6,lc=0,lp=1,pb=0")]
    public async Task StreamsFromXzDecodeToTheOriginalBytes(string options)
    {
        // Several LZMA chunks (each at most 2 MiB unpacked), and stored chunks for the random stretch.
        var original = LzmaDecoderTests.Sample(3_000_000, 4).Concat(Incompressible(200_000)).Concat(LzmaDecoderTests.Sample(100_000, 5)).ToArray();
        var stream = await CompressionTools.XzAsync(original, "--format=raw", $"--lzma2={options}");
        Assert.Null(Decode(stream, 4 << 20, out var output));
        Assert.Equal(original, output);
    }

    [Fact]
    public async Task CutShortDamagedOrOversizedStreamsEndWithAnError()
    {
        var original = LzmaDecoderTests.Sample(50_000, 8).Concat(Incompressible(70_000)).ToArray();
        var stream = await CompressionTools.XzAsync(original, "--format=raw", "--lzma2=preset=6");
        for (var length = 0; length < stream.Length; length += 101)
            Assert.NotNull(Decode(stream[..length], 1 << 20, out _));
        Assert.Contains("larger than", Decode(stream, 100_000, out _));
        Assert.Equal("LZMA2 chunk type 03 unknown", Decode([0x03, 0x00], 100, out _));
        Assert.Equal("LZMA2 data does not start with a dictionary reset", Decode([0x02, 0x00, 0x00, 0x41, 0x00], 100, out _));
        Assert.Equal("LZMA2 chunk after a dictionary reset does not set its properties", Decode([0x01, 0x00, 0x00, 0x41, 0xA0, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0, 0, 0x00], 100, out _));
    }

    private static readonly byte[] Text = "The quick brown fox jumps over the lazy dog; the lazy dog sleeps on. "u8.ToArray();

    /// <summary>One LZMA chunk from xz (dictionary and properties reset, control E0-FF), without the end byte.</summary>
    private static async Task<byte[]> ChunkAsync(string options)
    {
        var stream = await CompressionTools.XzAsync(Text, "--format=raw", $"--lzma2={options}");
        Assert.True(stream[0] >= 0xE0 && stream[^1] == 0x00 && 6 + (stream[3] << 8 | stream[4]) + 1 == stream.Length - 1);
        return stream[..^1];
    }

    [Fact]
    public async Task ChunksThatResetThePropertiesReuseTheTablesAndTheirNumberIsCapped()
    {
        var chunk = await ChunkAsync("preset=6");
        byte[] stream = [.. Enumerable.Range(0, 1000).SelectMany(_ => chunk), 0x00];
        var decoder = new LzmaDecoder(1000 * Text.Length);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Null(Lzma2Decoder.Decode(stream, decoder));
        // Output of 69 kB; a literal table of 12 kB per chunk would be 12 MB.
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Equal(Enumerable.Range(0, 1000).SelectMany(_ => Text), decoder.Output.ToArray());

        byte[] tiny = [0x01, 0x00, 0x00, 0x41, .. Enumerable.Range(0, Lzma2Decoder.MaxChunks).SelectMany(_ => (byte[])[0x02, 0x00, 0x00, 0x41]), 0x00];
        Assert.Equal("LZMA2 data of more than 4096 chunks", Decode(tiny, 1 << 20, out _));
        Assert.Null(Decode([.. tiny[..^5], 0x00], 1 << 20, out _));
    }

    [Fact]
    public async Task AfterAStoredChunkThatResetsTheDictionaryTheNextLzmaChunkSetsProperties()
    {
        // lc=0 lp=0 pb=0: the chunk decodes alike wherever it stands, so only the control byte decides.
        var chunk = await ChunkAsync("preset=6,lc=0,lp=0,pb=0");
        byte[] stored = [0x01, 0x00, 0x02, (byte)'a', (byte)'b', (byte)'c'];
        byte[] StreamWith(int control) => [.. chunk, .. stored, (byte)(control | (chunk[0] & 0x1F)), .. chunk[1..], 0x00];
        Assert.Equal("LZMA2 chunk after a dictionary reset does not set its properties", Decode(StreamWith(0xA0), 1 << 20, out _));
        Assert.Equal("LZMA2 chunk after a dictionary reset does not set its properties", Decode(StreamWith(0x80)[..^(chunk.Length - 5)], 1 << 20, out _));
        Assert.Null(Decode(StreamWith(0xC0), 1 << 20, out var output));
        Assert.Equal([.. Text, .. "abc"u8, .. Text], output);
    }

    [Fact]
    public async Task AnEndMarkerInsideAChunkIsAnError()
    {
        // xz's .lzma format ends its data with the end marker; as an LZMA2 chunk of the same size it is refused.
        var lzma = await CompressionTools.XzAsync(Text, "--format=lzma", "--lzma1=preset=6");
        var data = lzma[13..];
        int unpacked = Text.Length - 1, packed = data.Length - 1;
        byte[] stream = [0xE0, (byte)(unpacked >> 8), (byte)unpacked, (byte)(packed >> 8), (byte)packed, lzma[0], .. data, 0x00];
        Assert.Equal("LZMA end marker where the size is given", Decode(stream, 1 << 20, out _));
    }
}
