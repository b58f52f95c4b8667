using DmarcAnalyzer.Filter.Outgoing;

namespace DmarcAnalyzer.Tests.Filter.Outgoing;

/// <summary>
/// Our RFC 9990 XML, read back by our own reader field for field, validated against the RFC 9990 schema with xmllint,
/// and read by Debian's dmarc-cat and Perl's Mail::DMARC with the same rows and totals.
/// </summary>
public sealed class AggregateReportXmlTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("outgoing-xml-");

    private static readonly DateOnly Day = new(2026, 12, 6);

    private static OutgoingReport Report() => OutgoingReports.Report(Day, OutgoingReports.Day());

    [Fact]
    public void OurReaderReadsBackEveryField()
    {
        var report = Report();
        var (header, records) = OutgoingReports.ReadBack(OutgoingReports.Gunzip(AggregateReportXml.Gzip(report)));

        Assert.Equal(AggregateReportXml.Namespace, header.XmlNamespace);
        Assert.Equal("1.0", header.Version);
        Assert.Equal("Example Receiver", header.Metadata.OrgName);
        Assert.Equal("dmarc-reports@receiver.example.net", header.Metadata.Email);
        Assert.Equal("https://receiver.example.net/dmarc", header.Metadata.ExtraContactInfo);
        Assert.Equal(report.ReportId, header.Metadata.ReportId);
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero), header.Metadata.Begin);
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 23, 59, 59, TimeSpan.Zero), header.Metadata.End);
        Assert.Matches(@"^DmarcAnalyzer \d+\.\d+", header.Metadata.Generator);
        Assert.Equal(["rua: not a usable mailto: URI, left out: https://reports.example.org/dmarc"], header.Metadata.Errors);
        var policy = header.Policy;
        Assert.Equal(("example.com", "reject", "quarantine", "reject", "r", "s", "treewalk", "n", "1:d"),
            (policy.Domain, policy.P, policy.Sp, policy.Np, policy.Adkim, policy.Aspf, policy.DiscoveryMethod, policy.Testing, policy.Fo));

        Assert.Equal(5, records.Count);
        Assert.Equal(8, records.Sum(r => r.Count));
        var passing = Assert.Single(records, r => r.SourceIp == "192.0.2.10");
        Assert.Equal((3L, "pass", "pass", "pass"), (passing.Count, passing.Disposition, passing.DkimEvaluated, passing.SpfEvaluated));
        Assert.Equal(["example.com/sel/pass", "esp.example.org/s1/pass"], passing.Dkim.Select(d => $"{d.Domain}/{d.Selector}/{d.Result}"));
        Assert.Equal(("example.com", "mfrom", "pass"), (passing.Spf[0].Domain, passing.Spf[0].Scope, passing.Spf[0].Result));
        Assert.Equal(("example.com", "example.com", "example.net"), (passing.HeaderFrom, passing.EnvelopeFrom, passing.EnvelopeTo));
        var local = Assert.Single(records, r => r.SourceIp == "203.0.113.5");
        Assert.Equal((2L, "none", "fail", "fail"), (local.Count, local.Disposition, local.DkimEvaluated, local.SpfEvaluated));
        Assert.Equal(("local_policy", "DMARC policy not enforced by this receiver"), (local.Reasons[0].Type, local.Reasons[0].Comment));
        Assert.Equal(("fail", "body hash did not verify"), (local.Dkim[0].Result, local.Dkim[0].HumanResult));
        Assert.Null(local.Dkim[1].HumanResult);
        Assert.Equal(("fail", "203.0.113.5 matched -all"), (local.Spf[0].Result, local.Spf[0].HumanResult));
        Assert.Null(passing.Spf[0].HumanResult);
        var testing = Assert.Single(records, r => r.SourceIp == "198.51.100.7");
        Assert.Equal("policy_test_mode", Assert.Single(testing.Reasons).Type);
        Assert.Null(testing.EnvelopeTo);
        var helo = Assert.Single(records, r => r.SourceIp == "198.51.100.8");
        Assert.Null(helo.EnvelopeFrom);
        Assert.Equal(("mail.example.com", null), (helo.Spf[0].Domain, helo.Spf[0].Scope));
    }

    [Fact]
    public void TheFileNameIsTheRfc9990One()
    {
        var report = Report();
        // receiver "!" policy-domain "!" begin "!" end "!" unique-id ".xml.gz", unique-id = 1*(ALPHA / DIGIT), and the
        // Report-ID identical to it.
        Assert.Equal($"receiver.example.net!example.com!1796515200!1796601599!{report.ReportId}.xml.gz", report.FileName);
        Assert.Matches("^20261206[a-z0-9]+$", report.ReportId);
        Assert.Matches(@"^[A-Za-z0-9.!_-]+$", report.FileName);
    }

    [Fact]
    public void TheReportIdIsTheSameWhenBuiltAgainAndUniqueAmongReceiversAndDays()
    {
        var id = Report().ReportId;
        Assert.Equal(id, OutgoingReports.Report(Day, OutgoingReports.Day().Take(2)).ReportId);
        Assert.NotEqual(id, OutgoingReports.Report(Day.AddDays(1), OutgoingReports.Day()).ReportId);
        var otherReceiver = OutgoingReports.Settings with { Email = "dmarc@other-receiver.example" };
        var rows = new ReportRows();
        foreach (var message in OutgoingReports.Day())
            rows.Add(message);
        Assert.NotEqual(id[8..], OutgoingReport.Of(otherReceiver, Day, rows).ReportId[8..]);
    }

    [Fact]
    public void TextIsEscaped()
    {
        var report = Report() with { OrgName = "A & B <Reports>", ContactInfo = "\"quoted\" & <angled>" };
        var (header, _) = OutgoingReports.ReadBack(OutgoingReports.Gunzip(AggregateReportXml.Gzip(report)));
        Assert.Equal("A & B <Reports>", header.Metadata.OrgName);
        Assert.Equal("\"quoted\" & <angled>", header.Metadata.ExtraContactInfo);
    }

    [Fact]
    public async Task ValidatesAgainstTheRfc9990Schema() => await IndependentParsers.AssertValidAsync(await WriteXmlAsync());

    [Fact]
    public async Task DmarcCatReadsTheSameRowsAndTotals()
    {
        var report = Report();
        var path = Path.Combine(_folder.FullName, report.FileName);
        await File.WriteAllBytesAsync(path, AggregateReportXml.Gzip(report), Ct);
        var (rows, total, output) = await IndependentParsers.DmarcCatAsync(path);
        Assert.Contains("Domain: example.com", output);
        Assert.Contains("Reports(5):", output);
        Assert.Equal((5, 8L), (rows, total));
    }

    [Fact]
    public async Task MailDmarcReadsTheSameRowsAndTotals() =>
        Assert.Equal("rows=5 total=8 domain=example.com org=Example Receiver", await IndependentParsers.MailDmarcAsync(await WriteXmlAsync(), _folder.FullName));

    private async Task<string> WriteXmlAsync()
    {
        var path = Path.Combine(_folder.FullName, "report.xml");
        await using var file = File.Create(path);
        AggregateReportXml.Write(Report(), file);
        return path;
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
