using System.Buffers.Binary;
using System.IO.Compression;
using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Tests.Ingest;

namespace DmarcAnalyzer.Tests.Archives;

/// <summary>
/// Issue 14 (low 6): <c>Ingest:MaxZipEntries</c> applies before ZipArchive reads the central directory, whatever the
/// end record declares or understates.
/// </summary>
public class ZipEntryCountTests
{
    [Fact]
    public async Task AZip64EndRecordDeclaringMillionsOfEntriesIsRefusedFromItsEndRecord()
    {
        await using var store = new IngestHarness();
        Assert.Equal(new IngestOutcome(0, 0, 1, 0), await store.IngestAsync(Zip64Declaring(3_000_000)));
        Assert.Equal("the zip archive has 3,000,000 entries, more than the 1,000 read (Ingest:MaxZipEntries)",
            Assert.Single(await store.StringsAsync("SELECT reason FROM failures")));
    }

    [Fact]
    public void TheCountComesFromTheZip64RecordWithoutAWalk()
    {
        var count = ZipEntryCount.Of(Zip64Declaring(long.MaxValue), 1_000);
        Assert.Equal(long.MaxValue, count!.Entries);
        Assert.Empty(count.Methods);
    }

    [Fact]
    public async Task AnEndRecordThatUnderstatesTheEntriesIsCaughtByTheWalk()
    {
        var zip = Entries(1_500);
        // The end record (the last 22 bytes, no comment) says one entry on this disk and one in all.
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(zip.Length - 22 + 8), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(zip.Length - 22 + 10), 1);
        await using var store = new IngestHarness();
        Assert.Equal(new IngestOutcome(0, 0, 1, 0), await store.IngestAsync(zip));
        Assert.Equal("the zip archive has more than 1,000 entries, the most read (Ingest:MaxZipEntries)",
            Assert.Single(await store.StringsAsync("SELECT reason FROM failures")));
    }

    [Fact]
    public void AnOrdinaryZipIsCountedAndItsMethodsRead()
    {
        var count = ZipEntryCount.Of(BadInputTests.Zip(("a.xml", [1, 2, 3]), ("b.xml", [])), 1_000)!;
        Assert.Equal(2, count.Entries);
        Assert.False(count.AtLeast);
        Assert.Equal(2, count.Methods.Count);
    }

    [Fact]
    public void NoEndRecordIsNoCount() => Assert.Null(ZipEntryCount.Of("PK\u0003\u0004 and nothing else"u8, 1_000));

    private static byte[] Entries(int n)
    {
        var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            for (var i = 0; i < n; i++)
                archive.CreateEntry($"{i}.xml", CompressionLevel.NoCompression);
        return buffer.ToArray();
    }

    /// <summary>
    /// A local header's signature (what makes an input a zip), then a ZIP64 end record (APPNOTE 4.3.14) declaring
    /// <paramref name="entries"/> entries, its locator (4.3.15) and the end record that defers to it (4.3.16): 128 bytes.
    /// </summary>
    private static byte[] Zip64Declaring(long entries)
    {
        const int zip64End = 30;
        var zip = new byte[zip64End + 56 + 20 + 22];
        "PK\u0003\u0004"u8.CopyTo(zip);
        var record = zip.AsSpan(zip64End);
        "PK\u0006\u0006"u8.CopyTo(record);
        BinaryPrimitives.WriteUInt64LittleEndian(record[4..], 44);
        BinaryPrimitives.WriteUInt16LittleEndian(record[12..], 45);
        BinaryPrimitives.WriteUInt16LittleEndian(record[14..], 45);
        BinaryPrimitives.WriteInt64LittleEndian(record[24..], entries);
        BinaryPrimitives.WriteInt64LittleEndian(record[32..], entries);
        BinaryPrimitives.WriteInt64LittleEndian(record[40..], entries > long.MaxValue / 46 ? long.MaxValue : entries * 46);
        BinaryPrimitives.WriteInt64LittleEndian(record[48..], 0);
        var locator = record[56..];
        "PK\u0006\u0007"u8.CopyTo(locator);
        BinaryPrimitives.WriteUInt64LittleEndian(locator[8..], zip64End);
        BinaryPrimitives.WriteUInt32LittleEndian(locator[16..], 1);
        var end = locator[20..];
        "PK\u0005\u0006"u8.CopyTo(end);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], 0xFFFF);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], 0xFFFFFFFF);
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], 0xFFFFFFFF);
        return zip;
    }
}
