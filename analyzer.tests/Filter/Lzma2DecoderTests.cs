using DmarcAnalyzer.Filter;

namespace DmarcAnalyzer.Tests.Filter;

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
    public async Task Streams_from_xz_decode_to_the_original_bytes(string options)
    {
        // Several LZMA chunks (each at most 2 MiB unpacked), and stored chunks for the random stretch.
        var original = LzmaDecoderTests.Sample(3_000_000, 4).Concat(Incompressible(200_000)).Concat(LzmaDecoderTests.Sample(100_000, 5)).ToArray();
        var stream = await CompressionTools.XzAsync(original, "--format=raw", $"--lzma2={options}");
        Assert.Null(Decode(stream, 4 << 20, out var output));
        Assert.Equal(original, output);
    }

    [Fact]
    public async Task Cut_short_damaged_or_oversized_streams_end_with_an_error()
    {
        var original = LzmaDecoderTests.Sample(50_000, 8).Concat(Incompressible(70_000)).ToArray();
        var stream = await CompressionTools.XzAsync(original, "--format=raw", "--lzma2=preset=6");
        for (var length = 0; length < stream.Length; length += 101)
            Assert.NotNull(Decode(stream[..length], 1 << 20, out _));
        Assert.Contains("larger than", Decode(stream, 100_000, out _));
        Assert.Equal("LZMA2 chunk type 03 unknown", Decode([0x03, 0x00], 100, out _));
        Assert.Equal("LZMA2 data does not start with a dictionary reset", Decode([0x02, 0x00, 0x00, 0x41, 0x00], 100, out _));
        Assert.Equal("LZMA2 data does not set its properties", Decode([0x01, 0x00, 0x00, 0x41, 0xA0, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0, 0, 0x00], 100, out _));
    }
}
