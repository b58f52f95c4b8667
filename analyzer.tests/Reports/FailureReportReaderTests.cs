using System.Text;
using System.Text.Json;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Failure;

namespace DmarcAnalyzer.Tests.Reports;

public class FailureReportReaderTests
{
    internal static async Task<FailureReport> ReadAsync(byte[] raw)
    {
        var parsed = await BoundedMimeParser.ParseAsync(new MemoryStream(raw), MimeLimits.Default, TestContext.Current.CancellationToken);
        return FailureReportReader.Read(parsed.Message, raw, TestContext.Current.CancellationToken);
    }

    /// <summary>mail-auth's expected parse of the same files, read independently of our reader.</summary>
    [Theory]
    [InlineData("mail-auth__arf-003")]
    [InlineData("mail-auth__arf-004")]
    [InlineData("mail-auth__arf-005")]
    public async Task MatchesTheExpectedParse(string name)
    {
        var report = await ReadAsync(File.ReadAllBytes(Corpus.Require("forensic", name + ".eml")));
        using var expected = JsonDocument.Parse(File.ReadAllText(Corpus.Require("forensic", "_expected", name + ".json")));
        var e = expected.RootElement;
        Assert.Equal("auth-failure", report.FeedbackType);
        Assert.Equal(e.GetProperty("auth_failure").GetString()!.ToLowerInvariant(), report.AuthFailure);
        Assert.Equal(e.GetProperty("source_ip").GetString(), report.SourceIp);
        Assert.Equal(e.GetProperty("user_agent").GetString(), report.UserAgent);
        Assert.Equal(Text(e, "original_mail_from"), report.OriginalMailFrom);
        Assert.Equal(Text(e, "original_rcpt_to"), report.OriginalRcptTo);
        Assert.Equal(Text(e, "dkim_domain"), report.DkimDomain);
        Assert.Equal(Text(e, "dkim_selector"), report.DkimSelector);
        Assert.Equal(string.Join(", ", e.GetProperty("reported_domain").EnumerateArray().Select(d => d.GetString())), report.ReportedDomain);
        if (e.GetProperty("arrival_date").ValueKind == JsonValueKind.Number)
            Assert.Equal(e.GetProperty("arrival_date").GetInt64(), report.Arrival!.Value.ToUnixTimeSeconds());
    }

    private static string? Text(JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetString();

    [Fact]
    public async Task ReadsTheReturnedMessageAndTheReporter()
    {
        var report = await ReadAsync(File.ReadAllBytes(Corpus.Require("forensic", "parsedmarc__[Netease DMARC Failure Report] Rent Reminder.eml")));
        Assert.Equal("163.com", report.ReportingDomain);
        Assert.Equal("cardinal.com", report.ReportedDomain);
        Assert.Equal("167.89.69.24", report.SourceIp);
        Assert.Equal("spf,dkim", report.IdentityAlignment);
        Assert.Equal("delivered", report.DeliveryResult);
        Assert.Equal("700 on Washington <info@cardinal.com>", report.Original.From);
        Assert.Equal("Rent Reminder", report.Original.Subject);
        Assert.Equal("<oguVx1AxQayV5Sv2nYK-rA@ismtpd0007p1las1.sendgrid.net>", report.Original.MessageId);
        Assert.StartsWith("163.com; dkim=pass", report.Original.AuthenticationResults);
    }

    [Fact]
    public async Task SourceIpLosesItsHostnameComment()
    {
        var report = await ReadAsync(File.ReadAllBytes(Corpus.Require("forensic", "mail-auth__arf-004.eml")));
        Assert.Equal("148.163.85.135", report.SourceIp);
    }

    [Fact]
    public async Task AnAbuseReportIsNotAFailureReport()
    {
        var e = await Assert.ThrowsAsync<ReportFormatException>(() => ReadAsync(File.ReadAllBytes(Corpus.Require("forensic", "mail-auth__arf-001.eml"))));
        Assert.Contains("Feedback-Type \"abuse\"", e.Message);
    }

    [Fact]
    public void IdentityIgnoresTransportFieldsAndLineEnds()
    {
        var report = "From: a@example.com\nSubject: x\n\nbody\n";
        var identity = FailureReportIdentity.Of(Encoding.ASCII.GetBytes(report));
        Assert.Equal(identity, FailureReportIdentity.Of(Encoding.ASCII.GetBytes(
            "Return-Path: <r@example.net>\nReceived: from a\n\tby b; Mon, 7 Dec 2026 00:00:00 +0000\nDelivered-To: x@example.org\n" + report)));
        Assert.Equal(identity, FailureReportIdentity.Of(Encoding.ASCII.GetBytes(report.Replace("\n", "\r\n"))));
        Assert.NotEqual(identity, FailureReportIdentity.Of(Encoding.ASCII.GetBytes(report.Replace("body", "Body"))));
        Assert.NotEqual(identity, FailureReportIdentity.Of(Encoding.ASCII.GetBytes("X-Extra: 1\n" + report)));
    }

    private static byte[] Arf(string reportPart, string returnedPart) => Encoding.ASCII.GetBytes(
        "From: reporter@receiver.example\r\nTo: ruf@example.com\r\nSubject: failure\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n" +
        "--b\r\nContent-Type: text/plain\r\n\r\nA failure report.\r\n" +
        "--b\r\nContent-Type: message/feedback-report\r\nContent-Transfer-Encoding: base64\r\n\r\n" + reportPart +
        "--b\r\nContent-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: base64\r\n\r\n" + returnedPart + "--b--\r\n");

    private static string Base64(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text), Base64FormattingOptions.InsertLineBreaks) + "\r\n";

    private const string Fields = "Feedback-Type: auth-failure\r\nVersion: 1\r\nSource-IP: 192.0.2.1\r\nReported-Domain: example.com\r\n";

    /// <summary>Encoded header blocks are outside the MIME parser's header caps: their decoded size is bounded where they are read.</summary>
    [Fact]
    public async Task AnEncodedReportPartPastItsCapIsRefusedWithTheReason()
    {
        var padding = string.Concat(Enumerable.Repeat("X-Padding: b\r\n", FailureReportReader.MaxReportPartBytes / 14 + 1));
        var e = await Assert.ThrowsAsync<ReportFormatException>(() => ReadAsync(Arf(Base64(Fields + padding), Base64("From: a@example.com\r\n"))));
        Assert.Contains("larger than 64 KB", e.Message);
    }

    [Fact]
    public async Task AnEncodedReturnedHeaderBlockIsReadOnlyUpToItsCap()
    {
        var padding = string.Concat(Enumerable.Repeat("X-Padding: b\r\n", 2 * FailureReportReader.MaxReturnedHeaderBytes / 14));
        var report = await ReadAsync(Arf(Base64(Fields), Base64("From: a@example.com\r\nSubject: kept\r\n" + padding + "To: past-the-cap@example.com\r\n")));
        Assert.Equal("kept", report.Original.Subject);
        Assert.Null(report.Original.To);
        Assert.Equal("192.0.2.1", report.SourceIp);
    }
}
