using System.Globalization;
using System.Text;
using DmarcAnalyzer.Ingest;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>SMTP TLS reports (RFC 8460) and failure reports (RFC 6591) written for a test, stored through the real ingest pipeline.</summary>
internal static class SyntheticReports
{
    private static int _reports;

    /// <summary>A TLS report for <paramref name="domain"/> on the UTC day <paramref name="day"/>; failures are starttls-not-supported at mx1.</summary>
    public static byte[] Tls(string domain, DateOnly day, long successful, long failed) => Encoding.UTF8.GetBytes($$"""
        {
          "organization-name": "sender.example",
          "date-range": { "start-datetime": "{{Day(day)}}T00:00:00Z", "end-datetime": "{{Day(day)}}T23:59:59Z" },
          "contact-info": "tls@sender.example",
          "report-id": "tls-{{Interlocked.Increment(ref _reports)}}",
          "policies": [ {
            "policy": { "policy-type": "sts", "policy-domain": "{{domain}}", "mx-host": ["mx1.{{domain}}"] },
            "summary": { "total-successful-session-count": {{successful}}, "total-failure-session-count": {{failed}} },
            "failure-details": [ { "result-type": "starttls-not-supported", "sending-mta-ip": "198.51.100.7",
              "receiving-mx-hostname": "mx1.{{domain}}", "failed-session-count": {{failed}} } ]
          } ]
        }
        """);

    /// <summary>An ARF auth-failure report about <paramref name="domain"/> that arrived at <paramref name="arrival"/>.</summary>
    public static byte[] Failure(string domain, DateTimeOffset arrival, string sourceIp, string from)
    {
        var b = "b" + Interlocked.Increment(ref _reports).ToString(CultureInfo.InvariantCulture);
        var date = arrival.ToString("r", CultureInfo.InvariantCulture);
        return Encoding.UTF8.GetBytes($"""
        From: <dmarc-noreply@receiver.example>
        Date: {date}
        Subject: DMARC failure report for {domain}
        To: <ruf@{domain}>
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=feedback-report; boundary="{b}"

        --{b}
        Content-Type: text/plain

        A message claiming to be from {domain} failed DMARC.

        --{b}
        Content-Type: message/feedback-report

        Feedback-Type: auth-failure
        User-Agent: test/1.0
        Version: 1
        Auth-Failure: dmarc
        Reported-Domain: {domain}
        Source-IP: {sourceIp}
        Arrival-Date: {date}

        --{b}
        Content-Type: text/rfc822-headers

        From: {from}
        To: someone@receiver.example
        Subject: Invoice overdue
        Date: {date}
        Message-ID: <{Guid.NewGuid():N}@{domain}>

        --{b}--
        """.Replace("\n", "\r\n", StringComparison.Ordinal));
    }

    public static async Task IngestAsync(string database, params byte[][] inputs)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await IngestPipeline.OpenAsync(database, IngestLimits.Default, NullLogger.Instance, ct);
        foreach (var input in inputs)
        {
            var outcome = await pipeline.IngestAsync(new MemoryStream(input), "test", ct);
            Assert.Equal(0, outcome.Failed);
        }
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
