using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Tests.Mail;

/// <summary>Every real-world message in the shared corpus parses; each aggregate one yields its report.</summary>
public class MailCorpusTests
{
    [Fact]
    public async Task EveryAggregateMessageCarriesAReport()
    {
        var files = Directory.GetFiles(Corpus.Require("aggregate"), "*.eml");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var message = await ParseFileAsync(file);
            var report = message.Descendants().FirstOrDefault(e => !e.IsMultipart && e.EmbeddedMessage is null && LooksLikeReport(e.DecodedContent.AsSpan()));
            Assert.True(report is not null, $"{Path.GetFileName(file)}: no part decodes to gzip, zip or XML");
        }
    }

    [Fact]
    public async Task EveryForensicMessageParses()
    {
        var files = Directory.GetFiles(Corpus.Require("forensic"), "*.eml");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var message = await ParseFileAsync(file);
            Assert.True(message.Headers.Count > 0, Path.GetFileName(file));
            Assert.NotNull(message.Headers["From"]);
        }
    }

    [Fact]
    public async Task SinglePartGoogleReportIsTheAttachment()
    {
        var message = await ParseFileAsync(Corpus.Require("aggregate", "mail-auth__dmarc-feedback-100.eml"));
        Assert.False(message.IsMultipart);
        Assert.Equal("application/zip", message.MimeType);
        Assert.True(message.IsAttachment);
        Assert.Equal((byte)'P', message.DecodedContent.AsSpan()[0]);
    }

    [Fact]
    public async Task OutlookNestedReportIsFoundThroughThreeLevels()
    {
        var message = await ParseFileAsync(Corpus.Require("aggregate", "mail-auth__dmarc-feedback-103.eml"));
        var gzip = Assert.Single(message.Descendants(), d => d.DecodedContent.AsSpan().StartsWith(new byte[] { 0x1F, 0x8B }));
        Assert.True(gzip.IsAttachment);
        Assert.Contains(message.Descendants(), d => d.MimeType == "multipart/alternative");
    }

    [Fact]
    public async Task ForensicReportExposesTheFeedbackPartAndOriginal()
    {
        var message = await ParseFileAsync(Corpus.Require("forensic", "parsedmarc__dmarc_ruf_report_linkedin.crlf.eml"));
        Assert.Contains(message.Descendants(), d => d.MimeType == "message/feedback-report");
        Assert.Contains(message.Descendants(), d => d.EmbeddedMessage is not null);
    }

    [Fact]
    public async Task StripperOutputOfEveryCorpusMessageParsesBack()
    {
        foreach (var folder in new[] { "aggregate", "forensic" })
        {
            foreach (var file in Directory.GetFiles(Corpus.Require(folder), "*.eml"))
            {
                var message = await ParseFileAsync(file);
                var stripped = AttachmentStripperTests.Strip(message);
                var reparsed = await MimeText.ParseAsync(AttachmentStripperTests.Reassemble(message, stripped));
                Assert.DoesNotContain(reparsed.Descendants(), d => d.IsAttachment && d.FileName != "removed-attachments.txt");
                if (stripped.Removed.Count > 0)
                    Assert.Single(reparsed.Descendants(), d => d.FileName == "removed-attachments.txt");
            }
        }
    }

    private static async Task<TestEntity> ParseFileAsync(string path) =>
        await MimeText.ParseAsync(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));

    private static bool LooksLikeReport(ReadOnlySpan<byte> content)
    {
        content = content.TrimStart(" \t\r\n"u8);
        if (content.StartsWith("\uFEFF"u8))
            content = content[3..];
        return content.StartsWith(new byte[] { 0x1F, 0x8B }) || content.StartsWith("PK"u8) || content.StartsWith("<"u8);
    }
}
