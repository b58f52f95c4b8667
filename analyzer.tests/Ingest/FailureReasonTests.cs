using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Tests.Reports;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary>Issue 14: a failure's reason says what is wrong with the input, in our words, never .NET's.</summary>
public class FailureReasonTests
{
    /// <summary>Phrases of .NET's own messages for broken archives and encodings.</summary>
    private static readonly string[] DotNetPhrases =
        ["Exception", "archive entry", "Central Directory", "End Of Central", "See https", "compressed using", "block type", "SYSLIB"];

    private static async Task<string> ReasonAsync(byte[] input)
    {
        await using var store = new IngestHarness();
        var outcome = await store.IngestAsync(input);
        Assert.Equal(0, outcome.New);
        Assert.True(outcome.Failed >= 1, "the input should be stored as a failure");
        var reason = string.Join(" | ", await store.StringsAsync("SELECT reason FROM failures"));
        foreach (var phrase in DotNetPhrases)
            Assert.DoesNotContain(phrase, reason, StringComparison.Ordinal);
        return reason;
    }

    private static byte[] Report => ReportXml.Bytes(ReportXml.Report(records: 20));

    [Fact]
    public async Task ADamagedDeflateStreamInAZipIsDamagedNotAnUnsupportedMethod()
    {
        var zip = BadInputTests.Zip(("report.xml", Report));
        // The first deflate block header: BFINAL=1, BTYPE=11, which RFC 1951 §3.2.3 reserves (an error).
        zip[LocalDataStart(zip)] = 0xFF;
        var reason = await ReasonAsync(zip);
        Assert.Contains("report.xml", await SourceAsync(zip));
        Assert.Equal("the zip entry is damaged: its data cannot be read or inflated", reason);
    }

    [Fact]
    public async Task AZipEntryInAnUnsupportedMethodNamesIt()
    {
        var zip = BadInputTests.Zip(("report.xml", Report));
        SetMethod(zip, 12);
        Assert.Equal("the zip entry is compressed with method 12 (bzip2), which is not supported (only stored and deflate are)", await ReasonAsync(zip));
    }

    [Fact]
    public async Task ADamagedGzipStreamSaysSo()
    {
        var gzip = BadInputTests.Gzip(Report);
        gzip[10] = 0xFF;
        Assert.Equal("the gzip stream is damaged: its compressed data cannot be inflated", await ReasonAsync(gzip));
    }

    [Fact]
    public async Task ATruncatedZipSaysItIsDamaged()
    {
        var zip = BadInputTests.Zip(("report.xml", Report));
        Assert.StartsWith("the zip archive is damaged", await ReasonAsync(zip[..(zip.Length - 10)]));
    }

    [Theory]
    [InlineData("application/zip", "report.zip", "the zip attachment is damaged")]
    [InlineData("application/octet-stream", "example.com!reporter!1700000000!1700086399.zip", "the zip attachment is damaged")]
    [InlineData("application/gzip", "report", "the gzip attachment is damaged")]
    [InlineData("application/octet-stream", "report.xml.gz", "the gzip attachment is damaged")]
    public async Task ADamagedArchiveAttachmentInAReportMailSaysSoNotThatTheMailCarriesNoReport(string type, string name, string reason)
    {
        var damaged = Encoding.ASCII.GetBytes("this was a zip before a mail gateway rewrote it");
        var stored = await ReasonAsync(Mail(type, name, damaged));
        Assert.StartsWith(reason, stored);
        Assert.DoesNotContain("carries no DMARC report", stored);
        Assert.Contains("this was a zip", stored);
    }

    [Fact]
    public async Task ATruncatedZipAttachmentSaysTheArchiveIsDamaged()
    {
        var zip = BadInputTests.Zip(("report.xml", Report));
        var stored = await ReasonAsync(Mail("application/zip", "report.zip", zip[..(zip.Length / 2)]));
        Assert.StartsWith("the zip archive is damaged", stored);
    }

    [Fact]
    public async Task ANonReportShowsAPrintablePreviewAndNamesCommonFormats()
    {
        var pdf = await ReasonAsync(Encoding.ASCII.GetBytes("%PDF-1.7\n%\u00e2\u00e3\n1 0 obj << /Type /Catalog >> endobj\n"));
        Assert.StartsWith("not a DMARC report: this is a PDF document; it starts \"%PDF-1.7·%", pdf);

        var text = await ReasonAsync(Encoding.ASCII.GetBytes("Hello there, this is no report at all"));
        Assert.Equal("not a DMARC report: neither XML, gzip, zip nor an e-mail; it starts \"Hello there, this is no report at all\" (bytes 48656C6C6F207468)", text);

        var binary = await ReasonAsync([0x00, 0x01, 0x02, 0x1B, (byte)'[', (byte)'2', (byte)'J']);
        Assert.Equal("not a DMARC report: neither XML, gzip, zip nor an e-mail; it starts \"····[2J\" (bytes 0001021B5B324A)", binary);
    }

    private static async Task<string> SourceAsync(byte[] input)
    {
        await using var store = new IngestHarness();
        await store.IngestAsync(input, "in.zip");
        return Assert.Single(await store.StringsAsync("SELECT source FROM failures"));
    }

    /// <summary>Where the first entry's data starts: after its local header (APPNOTE 4.3.7), name and extra field.</summary>
    private static int LocalDataStart(byte[] zip) =>
        30 + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(28));

    /// <summary>Sets the compression method in every local and central header.</summary>
    private static void SetMethod(byte[] zip, ushort method)
    {
        for (var i = 0; i + 4 <= zip.Length; i++)
        {
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 3 && zip[i + 3] == 4)
                BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(i + 8), method);
            else if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 1 && zip[i + 3] == 2)
                BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(i + 10), method);
        }
    }

    private static byte[] Mail(string contentType, string fileName, byte[] attachment) => Encoding.ASCII.GetBytes(
        "From: noreply-dmarc@reporter.example\r\nTo: rua@example.com\r\nSubject: Report domain: example.com\r\n"
        + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"xyz\"\r\n\r\n"
        + "--xyz\r\nContent-Type: text/plain\r\n\r\nAggregate report attached.\r\n"
        + $"--xyz\r\nContent-Type: {contentType}; name=\"{fileName}\"\r\nContent-Disposition: attachment; filename=\"{fileName}\"\r\n"
        + "Content-Transfer-Encoding: base64\r\n\r\n" + Convert.ToBase64String(attachment, Base64FormattingOptions.InsertLineBreaks)
        + "\r\n--xyz--\r\n");
}
