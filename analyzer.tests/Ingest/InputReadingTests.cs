using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Tests.Reports;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary>
/// The pipeline reads a file of known length straight into one buffer; a file that grows or shrinks while it
/// is read, or whose length is not its size (as /proc's are), is still read as it is, whole.
/// </summary>
public class InputReadingTests
{
    /// <summary>A seekable stream whose Length is what the file was when it was listed, not what it now holds.</summary>
    private sealed class ChangingFile(byte[] content, long listedLength) : MemoryStream(content)
    {
        private bool _listed = true;

        public override long Length => _listed ? listedLength : base.Length;

        public override int Read(Span<byte> buffer)
        {
            // The first read sees the file as listed; later calls see its true size.
            var read = base.Read(buffer);
            _listed = false;
            return read;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => new(Read(buffer.Span));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1 << 10)]
    [InlineData(1 << 21)]
    public async Task AFileThatGrewWhileReadIsReadWhole(int listedLength)
    {
        var xml = ReportXml.Bytes(ReportXml.Report(records: 12_000));
        Assert.True(xml.Length > listedLength);
        Assert.Equal(12_000, (await IngestAsync(new ChangingFile(xml, listedLength))).Records);
    }

    [Fact]
    public async Task AFileThatShrankWhileReadIsReadAsItNowIs()
    {
        var xml = ReportXml.Bytes(ReportXml.Report(records: 12_000));
        Assert.Equal(12_000, (await IngestAsync(new ChangingFile(xml, xml.Length + (1 << 20)))).Records);
    }

    /// <summary>A device such as /dev/zero: seekable, of length 0, and never at its end.</summary>
    private sealed class EndlessDevice : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => 0;
        public override long Position { get; set; }
        public override int Read(byte[] buffer, int offset, int count) => count;
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => Position = offset;
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task AnEndlessDeviceIsReadOnlyUpToTheCap()
    {
        var limits = IngestLimits.Default with { MaxInputBytes = 1 << 20 };
        var outcome = await IngestAsync(new EndlessDevice(), limits);
        Assert.Equal(new IngestOutcome(0, 0, 1, 0), outcome);
    }

    private static async Task<IngestOutcome> IngestAsync(Stream input, IngestLimits? limits = null)
    {
        await using var store = new IngestHarness();
        await using var pipeline = await IngestPipeline.OpenAsync(store.DatabasePath, limits ?? IngestLimits.Default, NullLogger.Instance, TestContext.Current.CancellationToken);
        return await pipeline.IngestAsync(input, "changing.xml", TestContext.Current.CancellationToken);
    }
}
