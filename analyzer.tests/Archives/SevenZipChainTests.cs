using System.Buffers.Binary;
using System.IO.Hashing;
using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Tests.Filter;

namespace DmarcAnalyzer.Tests.Archives;

/// <summary>A 7z whose encoded header decodes to another encoded header (7-Zip: "Headers Error") is damage, decoded once.</summary>
public sealed class SevenZipChainTests
{
    [Fact]
    public async Task AChainOfEncodedHeadersIsNotInspectedAfterOneDecoding()
    {
        var inner = EncodedHeader(0, 100, [0x5D, 0, 0, 1, 0]);
        var plain = new byte[4096];
        inner.CopyTo(plain, 0);
        var lzma = await CompressionTools.XzAsync(plain, "--format=lzma");
        var packed = lzma[13..];
        var header = EncodedHeader(packed.Length, plain.Length, lzma[..5]);
        var file = new byte[32 + packed.Length + header.Length];
        TestMessages.SevenZip(false).AsSpan(0, 8).CopyTo(file);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(12), (ulong)packed.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(20), (ulong)header.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(28), Crc32.HashToUInt32(header));
        packed.CopyTo(file, 32);
        header.CopyTo(file, 32 + packed.Length);
        var budget = new InspectionBudget(1 << 20, CancellationToken.None);
        Assert.Equal(new EncryptedFinding("a.7z", "7z header encoded more than 1 time", NotInspected: true),
            new EncryptedContentDetector(3, 1000).Inspect(TestMessages.WithStartHeaderCrc(file), "a.7z", budget));
        Assert.Equal((1 << 20) - 8 * plain.Length, budget.Remaining);
    }

    /// <summary>An encoded header (7zFormat.txt): one packed stream at position 0, one folder of one LZMA coder.</summary>
    private static byte[] EncodedHeader(int packedSize, int unpackedSize, byte[] properties) =>
        [0x17, 0x06, 0x00, 0x01, 0x09, (byte)(0x80 | packedSize >> 8), (byte)packedSize, 0x00, 0x07, 0x0B, 0x01, 0x00, 0x01,
            0x23, 0x03, 0x01, 0x01, 0x05, .. properties, 0x0C, (byte)(0x80 | unpackedSize >> 8), (byte)unpackedSize, 0x00, 0x00];
}
