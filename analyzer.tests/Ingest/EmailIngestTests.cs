using System.Text;
using System.Text.Json;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Tests.Reports;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary>Reports that arrive as e-mail, labelled however the sender liked.</summary>
public class EmailIngestTests
{
    [Theory]
    [InlineData("mail-auth__dmarc-feedback-100")]
    [InlineData("mail-auth__dmarc-feedback-101")]
    [InlineData("mail-auth__dmarc-feedback-102")]
    [InlineData("mail-auth__dmarc-feedback-103")]
    [InlineData("mail-auth__dmarc-feedback-104")]
    public async Task CorpusMailsYieldTheExpectedReport(string name)
    {
        var pieces = await ReportUnpacker.UnpackAsync(File.ReadAllBytes(Corpus.Require("aggregate", name + ".eml")),
            IngestLimits.Default, TestContext.Current.CancellationToken);
        var xml = Assert.IsType<ExtractedXml>(Assert.Single(pieces));
        using var expected = JsonDocument.Parse(File.ReadAllText(Corpus.Require("aggregate", "_expected", name + ".json")));
        AggregateReportReaderTests.AssertMatches(expected.RootElement, ParsedReport.Parse(xml.Xml));
    }

    [Theory]
    [InlineData("parsedmarc__Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml")]
    [InlineData("parsedmarc__mimecast-weird-gzip.eml")]
    [InlineData("parsedmarc__twilight.eml")]
    public async Task OtherCorpusMailsLandWithTheirRecords(string name)
    {
        await using var store = new IngestHarness();
        var outcome = await store.IngestFileAsync(Corpus.Require("aggregate", name));
        Assert.Equal(1, outcome.New);
        Assert.Equal(0, outcome.Failed);
        Assert.True(outcome.Records > 0);
    }

    [Theory]
    [InlineData("application/octet-stream")]
    [InlineData("text/xml")]
    [InlineData("application/x-zip-compressed")]
    public async Task TheContentDecidesNotTheLabel(string label)
    {
        var gzip = BadInputTests.Gzip(ReportXml.Bytes(ReportXml.Report(records: 4)));
        await using var store = new IngestHarness();
        Assert.Equal(new IngestOutcome(1, 0, 0, 4), await store.IngestAsync(Mail(label, "report.bin", gzip)));
    }

    [Fact]
    public async Task AReportInTheBodyIsFound()
    {
        var message = "From: dmarc@reporter.example\r\nSubject: Report\r\nContent-Type: text/xml\r\n\r\n" + ReportXml.Report(records: 2);
        await using var store = new IngestHarness();
        Assert.Equal(new IngestOutcome(1, 0, 0, 2), await store.IngestAsync(Encoding.UTF8.GetBytes(message)));
    }

    [Fact]
    public async Task AMailWithoutAReportIsAFailureThatNamesItsParts()
    {
        var message = "From: someone@example.com\r\nSubject: hello\r\nContent-Type: text/html\r\n\r\n<html><body>feedback</body></html>";
        await using var store = new IngestHarness();
        Assert.Equal(1, (await store.IngestAsync(Encoding.UTF8.GetBytes(message))).Failed);
        Assert.Contains("carries no DMARC report (parts: text/html)", Assert.Single(await store.StringsAsync("SELECT reason FROM failures")));
    }

    [Fact]
    public async Task MalformedMimeIsAFailureWithAReason()
    {
        var depthBomb = new StringBuilder("From: x@example.com\r\n");
        for (var i = 0; i < 200; i++)
            depthBomb.Append($"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n");
        await using var store = new IngestHarness();
        Assert.Equal(1, (await store.IngestAsync(Encoding.UTF8.GetBytes(depthBomb.ToString()))).Failed);
        Assert.Contains("e-mail", Assert.Single(await store.StringsAsync("SELECT reason FROM failures")));
    }

    internal static byte[] Mail(string contentType, string fileName, byte[] attachment) => Encoding.ASCII.GetBytes(
        "From: noreply-dmarc@reporter.example\r\nTo: rua@example.com\r\nSubject: Report domain: example.com\r\n"
        + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"xyz\"\r\n\r\n"
        + "--xyz\r\nContent-Type: text/plain\r\n\r\nAggregate report attached.\r\n"
        + $"--xyz\r\nContent-Type: {contentType}; name=\"{fileName}\"\r\nContent-Disposition: attachment; filename=\"{fileName}\"\r\n"
        + "Content-Transfer-Encoding: base64\r\n\r\n" + Convert.ToBase64String(attachment, Base64FormattingOptions.InsertLineBreaks)
        + "\r\n--xyz--\r\n");
}
