using System.IO.Compression;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Filter.Outgoing;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Tests.Filter.Outgoing;

/// <summary>Reports made from hand-written message facts, and read back with our own aggregate report reader.</summary>
internal static class OutgoingReports
{
    public static readonly OutgoingReportSettings Settings =
        new(true, "Example Receiver", "dmarc-reports@receiver.example.net", "https://receiver.example.net/dmarc", [], []);

    public static readonly PublishedPolicy Policy = new("example.com", "reject", "quarantine", "reject", false, true, false, 'u',
        "mailto:dmarc@example.com,mailto:agg@reports.example.org!10m,https://reports.example.org/dmarc", DmarcDiscoveryMode.TreeWalk, "1:d");

    public static ReportedMessage Message(string ip = "192.0.2.10", string disposition = "pass", bool dkim = true, bool spf = true,
        IReadOnlyList<OverrideReason>? reasons = null, string headerFrom = "example.com", string? envelopeTo = "example.net") =>
        new(Policy, "example.com", ip, headerFrom, "example.com", envelopeTo, disposition, dkim, spf, reasons ?? [],
            [new ReportedDkim("example.com", "sel", dkim ? "pass" : "fail", dkim ? null : "body hash did not verify"), new ReportedDkim("esp.example.org", "s1", "pass")],
            new ReportedSpf("example.com", "mfrom", spf ? "pass" : "fail", spf ? null : $"{ip} matched -all"));

    /// <summary>A day's mix: passing mail from two addresses, failing mail let through under local policy and in testing.</summary>
    public static IReadOnlyList<ReportedMessage> Day() =>
    [
        Message(), Message(), Message(),
        Message(ip: "2001:db8::25"),
        Message(ip: "203.0.113.5", disposition: "none", dkim: false, spf: false,
            reasons: [new OverrideReason(OverrideType.LocalPolicy, "DMARC policy not enforced by this receiver")]),
        Message(ip: "203.0.113.5", disposition: "none", dkim: false, spf: false,
            reasons: [new OverrideReason(OverrideType.LocalPolicy, "DMARC policy not enforced by this receiver")]),
        Message(ip: "198.51.100.7", disposition: "quarantine", dkim: false, spf: false,
            reasons: [new OverrideReason(OverrideType.PolicyTestMode, "t=y")], envelopeTo: null),
        Message(ip: "198.51.100.8", disposition: "reject", dkim: false, spf: false) with
        {
            EnvelopeFrom = null, Spf = new ReportedSpf("mail.example.com", "helo", "pass"),
        },
    ];

    public static OutgoingReport Report(DateOnly day, IEnumerable<ReportedMessage> messages)
    {
        var rows = new ReportRows();
        foreach (var message in messages)
            rows.Add(message);
        return OutgoingReport.Of(Settings, day, rows);
    }

    public static byte[] Gunzip(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    public static (ReportHeader Header, List<ReportRecord> Records) ReadBack(byte[] xml)
    {
        var reader = AggregateReportReader.Open(xml, ReportReadLimits.Default);
        return (reader.Header, reader.ReadRecords().ToList());
    }
}
