using System.Buffers.Binary;
using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Tests.Filter;

namespace DmarcAnalyzer.Tests.Archives;

/// <summary>Our LZMA decoder against streams made by xz's --format=lzma (the "lzma-alone" format).</summary>
public sealed class LzmaDecoderTests
{
    /// <summary>Text that repeats with variations, a run of one byte and random bytes: literals, matches and reps.</summary>
    internal static byte[] Sample(int size, int seed)
    {
        var random = new Random(seed);
        var data = new byte[size];
        var words = new[] { "dmarc ", "report ", "aggregate ", "policy=reject ", "spf=pass ", "dkim=fail ", "\r\n" };
        var at = 0;
        while (at < size)
        {
            var pick = random.Next(10);
            ReadOnlySpan<byte> piece = pick < 7 ? System.Text.Encoding.ASCII.GetBytes(words[random.Next(words.Length)])
                : pick < 8 ? new byte[random.Next(1, 300)]
                : RandomBytes(random, random.Next(1, 64));
            piece[..Math.Min(piece.Length, size - at)].CopyTo(data.AsSpan(at));
            at += piece.Length;
        }
        return data;
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The lzma-alone header: properties byte, dictionary size, then the size or all ones for "unknown".</summary>
    private static string? DecodeLzmaAlone(byte[] file, int limit, out byte[] output)
    {
        var decoder = new LzmaDecoder(limit);
        Assert.True(decoder.SetProperties(file[0]));
        var size = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(5));
        var error = decoder.Decode(file.AsSpan(13), size == ulong.MaxValue ? null : (long)size);
        output = decoder.Output.ToArray();
        return error;
    }

    [Theory]
    [InlineData("--lzma1=preset=0")]
    [InlineData("--lzma1=preset=6")]
    [InlineData("--lzma1=preset=9e")]
    [InlineData("--lzma1=preset=6,lc=0,lp=2,pb=0")]
    [InlineData("--lzma1=preset=6,lc=4,lp=0,pb=4")]
    [InlineData("--lzma1=preset=6,lc=1,lp=3,pb=2")]
    public async Task StreamsFromXzDecodeToTheOriginalBytes(string options)
    {
        var original = Sample(300_000, 7);
        var file = await CompressionTools.XzAsync(original, "--format=lzma", options);
        Assert.Null(DecodeLzmaAlone(file, 1 << 20, out var output));
        Assert.Equal(original, output);
    }

    [Fact]
    public async Task AnEmptyStreamAndAKnownSizeDecode()
    {
        var empty = await CompressionTools.XzAsync([], "--format=lzma");
        Assert.Null(DecodeLzmaAlone(empty, 100, out var nothing));
        Assert.Empty(nothing);

        // With the size given the end marker is optional: the same stream decodes with its size stated.
        var original = Sample(5000, 3);
        var file = await CompressionTools.XzAsync(original, "--format=lzma");
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(5), (ulong)original.Length);
        Assert.Null(DecodeLzmaAlone(file, 1 << 20, out var output));
        Assert.Equal(original, output);
    }

    [Fact]
    public async Task OutputPastTheLimitIsAnError()
    {
        var file = await CompressionTools.XzAsync(new byte[100_000], "--format=lzma");
        Assert.Equal("LZMA data larger than 65536 bytes", DecodeLzmaAlone(file, 65536, out _));
    }

    [Fact]
    public async Task CutShortOrDamagedStreamsEndWithAnErrorNotAHang()
    {
        var original = Sample(20_000, 11);
        var file = await CompressionTools.XzAsync(original, "--format=lzma");
        for (var length = 13; length < file.Length; length += 37)
            Assert.NotNull(DecodeLzmaAlone(file[..length], 1 << 20, out _));

        // A flipped byte ends in an error (a flip in the coder's last flushed bytes may change nothing).
        var random = new Random(5);
        var noticed = 0;
        for (var i = 0; i < 200; i++)
        {
            var damaged = (byte[])file.Clone();
            damaged[random.Next(14, damaged.Length)] ^= (byte)random.Next(1, 256);
            if (DecodeLzmaAlone(damaged, 1 << 20, out var output) is not null || !output.AsSpan().SequenceEqual(original))
                noticed++;
        }
        Assert.InRange(noticed, 190, 200);

        var garbage = RandomBytes(random, 4096);
        garbage[0] = 0x5D;
        garbage[13] = 0;
        Assert.NotNull(DecodeLzmaAlone(garbage, 1 << 20, out _));
    }

    [Theory]
    [InlineData(225)]
    [InlineData(4 * 9 + 8)]
    [InlineData(1 * 9 + 4)]
    public void PropertiesOutOfRangeAreRefused(byte properties) =>
        Assert.False(new LzmaDecoder(100).SetProperties(properties));

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, "LZMA match reaches before the start of the data")]
    public void AShortRepMayNotReachBeforeADictionaryReset(bool reset, string? error)
    {
        // "ababcd" leaves the last distance at 1; after a reset that keeps the state, a literal and a short rep of
        // distance 1 would copy a byte from before the reset.
        var encoder = new LzmaTestEncoder().Literal((byte)'a').Literal((byte)'b').Match(1).Literal((byte)'c').Literal((byte)'d');
        var first = encoder.Finish();
        var second = encoder.Literal((byte)'x').ShortRep().Finish();
        var decoder = new LzmaDecoder(100);
        Assert.True(decoder.SetProperties(0));
        Assert.Null(decoder.Decode(first, 6));
        Assert.Equal("ababcd"u8.ToArray(), decoder.Output.ToArray());
        if (reset)
            decoder.ResetDictionary();
        Assert.Equal(error, decoder.Decode(second, 2));
        if (!reset)
            Assert.Equal("ababcdxd"u8.ToArray(), decoder.Output.ToArray());
    }
}
