using System.Text.Json;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Tests.Reports;

public class AggregateReportReaderTests
{
    private static ParsedReport ParseCorpus(string name) =>
        ParsedReport.Parse(File.ReadAllBytes(Corpus.Require("aggregate", name)));

    [Theory]
    [InlineData("mail-auth__dmarc-feedback-001")]
    [InlineData("mail-auth__dmarc-feedback-002")]
    [InlineData("mail-auth__dmarc-feedback-003")]
    [InlineData("mail-auth__dmarc-feedback-004")]
    [InlineData("mail-auth__dmarc-feedback-005")]
    public void MatchesTheExpectedParse(string name)
    {
        var report = ParseCorpus(name + ".xml");
        using var expected = JsonDocument.Parse(File.ReadAllText(Corpus.Require("aggregate", "_expected", name + ".json")));
        AssertMatches(expected.RootElement, report);
    }

    internal static void AssertMatches(JsonElement expected, ParsedReport report)
    {
        var meta = expected.GetProperty("report_metadata");
        Assert.Equal(meta.GetProperty("org_name").GetString(), report.Metadata.OrgName);
        Assert.Equal(meta.GetProperty("report_id").GetString(), report.Metadata.ReportId);
        Assert.Equal(meta.GetProperty("date_range").GetProperty("begin").GetInt64(), report.Metadata.Begin.ToUnixTimeSeconds());
        Assert.Equal(meta.GetProperty("date_range").GetProperty("end").GetInt64(), report.Metadata.End.ToUnixTimeSeconds());
        var policy = expected.GetProperty("policy_published");
        Assert.Equal(policy.GetProperty("domain").GetString(), report.Policy.Domain);
        Assert.Equal(Lower(policy.GetProperty("p")), report.Policy.P);

        var records = expected.GetProperty("record").EnumerateArray().ToList();
        Assert.Equal(records.Count, report.Records.Count);
        foreach (var (want, got) in records.Zip(report.Records))
        {
            var row = want.GetProperty("row");
            Assert.Equal(row.GetProperty("source_ip").GetString(), got.SourceIp);
            Assert.Equal(row.GetProperty("count").GetInt64(), got.Count);
            var evaluated = row.GetProperty("policy_evaluated");
            Assert.Equal(Lower(evaluated.GetProperty("disposition")), got.Disposition);
            Assert.Equal(Lower(evaluated.GetProperty("dkim")), got.DkimEvaluated);
            Assert.Equal(Lower(evaluated.GetProperty("spf")), got.SpfEvaluated);
            Assert.Equal(evaluated.GetProperty("reason").GetArrayLength(), got.Reasons.Length);
            Assert.Equal(want.GetProperty("identifiers").GetProperty("header_from").GetString(), got.HeaderFrom);
            var auth = want.GetProperty("auth_results");
            Assert.Equal(
                auth.GetProperty("dkim").EnumerateArray().Select(d => (d.GetProperty("domain").GetString(), Lower(d.GetProperty("result")))),
                got.Dkim.Select(d => ((string?)d.Domain, (string?)d.Result)));
            Assert.Equal(
                auth.GetProperty("spf").EnumerateArray().Select(s => (s.GetProperty("domain").GetString(), Lower(s.GetProperty("result")))),
                got.Spf.Select(s => ((string?)s.Domain, (string?)s.Result)));
        }
    }

    private static string? Lower(JsonElement value) => value.ValueKind == JsonValueKind.Null ? null : value.GetString()!.ToLowerInvariant();

    [Fact]
    public void ReadsRfc9990Fields()
    {
        var report = ParseCorpus("mail-auth__dmarc-feedback-004.xml");
        Assert.Equal("urn:ietf:params:xml:ns:dmarc-2.0", report.XmlNamespace);
        Assert.NotNull(report.Metadata.Generator);
        Assert.NotNull(report.Policy.Np);
        Assert.NotNull(report.Policy.Testing);
        Assert.NotNull(report.Policy.DiscoveryMethod);
        Assert.Contains(report.Records, r => r.Disposition == "pass");
    }

    [Fact]
    public void LowerCasesValuesAndTrimsText()
    {
        var report = ParseCorpus("parsedmarc__invalid__report_with_upper_cased_pass.xml");
        Assert.Equal(report.Metadata.OrgName.Trim(), report.Metadata.OrgName);
        Assert.All(report.Records, r => Assert.True(r.DkimEvaluated is null or "pass" or "fail" or "none"));
        Assert.Contains(report.Records.SelectMany(r => r.Dkim), d => d.Result == "pass");
    }

    [Fact]
    public void ReadsNumbersWithWhitespaceInside()
    {
        var report = ParseCorpus("dmarc-report-converter__test.xml");
        Assert.Equal(1524268799, report.Metadata.End.ToUnixTimeSeconds());
    }

    [Fact]
    public void ReadsWindows1252Declarations()
    {
        var report = ParseCorpus("dmarc_aggregate_parser-hist__dmarc.xml");
        Assert.NotEmpty(report.Records);
    }

    [Fact]
    public void DecodesInvalidUtf8BytesAsWindows1252()
    {
        var report = ParseCorpus("parsedmarc__invalid_utf_8.xml");
        // 0x91 in windows-1252 is a left single quotation mark.
        Assert.Contains(report.Records, r => r.HeaderFrom?.Contains('\u2018') == true);
    }

    [Fact]
    public void ReadsAReportWrappedInAStraySchemaStartTag()
    {
        var report = ParseCorpus("parsedmarc__ikea.com!example.de!1538690400!1538776800.xml");
        Assert.Equal("ikea.com", report.Metadata.OrgName);
        Assert.NotEmpty(report.Records);
    }

    [Fact]
    public void NamesAnUnnamedReporterByItsContactDomain()
    {
        var report = ParseCorpus("parsedmarc__!example.com!1538204542!1538463818.xml");
        Assert.Equal("accurateplastics.com", report.Metadata.OrgName);
    }

    [Fact]
    public void ReadsTheLargeReportWithAllRecords()
    {
        var report = ParseCorpus("parsedmarc__!large-example.com!1711897200!1711983600.xml");
        Assert.Equal(2286, report.Records.Count);
    }

    [Theory]
    [InlineData("2001:DB8::0:1", "2001:db8::1")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData(" 192.0.2.8 ", "192.0.2.8")]
    public void NormalisesSourceAddresses(string written, string stored)
    {
        var xml = ReportXml.Report().Replace("<source_ip>192.0.2.1</source_ip>", $"<source_ip>{written}</source_ip>");
        var report = ParsedReport.Parse(ReportXml.Bytes(xml));
        Assert.Equal(stored, Assert.Single(report.Records).SourceIp);
    }

    /// <summary>Canonical IPv4 skips parsing; every other form must still come out as IPAddress writes it.</summary>
    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.1")]
    [InlineData("010.0.0.1")]
    [InlineData("1.02.3.4")]
    [InlineData("256.1.1.1")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("1..3.4")]
    [InlineData("1.2.3.")]
    [InlineData(".1.2.3")]
    [InlineData("1.2.3.4a")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("1234.1.1.1")]
    [InlineData("unknown")]
    public void StoresEachIPv4FormAsIPAddressWritesIt(string written)
    {
        var expected = System.Net.IPAddress.TryParse(written, out var ip) ? ip.ToString() : written;
        var xml = ReportXml.Report().Replace("<source_ip>192.0.2.1</source_ip>", $"<source_ip>{written}</source_ip>");
        Assert.Equal(expected, Assert.Single(ParsedReport.Parse(ReportXml.Bytes(xml)).Records).SourceIp);
    }

    [Fact]
    public void KeepsOverrideReasonsAndSeveralDkimResults()
    {
        var xml = ReportXml.Report().Replace("</policy_evaluated>",
                "<reason><type>Forwarded</type><comment>via list</comment></reason><reason><type>mailing_list</type></reason></policy_evaluated>")
            .Replace("</auth_results>", "<dkim><domain>Other.Example.</domain><selector>s2</selector><result>FAIL</result></dkim></auth_results>");
        var record = Assert.Single(ParsedReport.Parse(ReportXml.Bytes(xml)).Records);
        Assert.Equal([new PolicyOverride("forwarded", "via list"), new PolicyOverride("mailing_list", null)], record.Reasons);
        Assert.Equal(2, record.Dkim.Length);
        Assert.Equal(new DkimAuthResult("other.example", "s2", "fail", null), record.Dkim[1]);
    }

    [Fact]
    public void ReadsRecordsThatComeBeforeTheHeader()
    {
        var xml = ReportXml.Report(records: 2);
        var records = xml[xml.IndexOf("<record>")..xml.IndexOf("</feedback>")];
        var reordered = xml.Replace(records, "").Replace("<report_metadata>", records + "<report_metadata>");
        var report = ParsedReport.Parse(ReportXml.Bytes(reordered));
        Assert.Equal([1L, 2L], report.Records.Select(r => r.Count));
    }

    [Fact]
    public void ConvertsDateRangesToUtc()
    {
        var report = ParsedReport.Parse(ReportXml.Bytes(ReportXml.Report(begin: 1_700_000_000)));
        Assert.Equal(TimeSpan.Zero, report.Metadata.Begin.Offset);
        Assert.Equal(new DateTimeOffset(2023, 11, 14, 22, 13, 20, TimeSpan.Zero), report.Metadata.Begin);
    }

    [Theory]
    [InlineData("<report_id>r-1</report_id>", "", "no <report_id>")]
    [InlineData("<count>1</count>", "<count>many</count>", "not a whole number")]
    [InlineData("<begin>1700000000</begin>", "<begin>yesterday</begin>", "neither Unix seconds nor a date")]
    [InlineData("<policy_published><domain>example.com</domain>", "<policy_published><domain>evil.example&#13;&#10;Bcc: a@evil.example</domain>", "is not a domain name")]
    [InlineData("<policy_published><domain>example.com</domain>", "<policy_published><domain>&lt;!channel&gt;</domain>", "is not a domain name")]
    [InlineData("<policy_published><domain>example.com</domain>", "<policy_published><domain>exa mple.com</domain>", "is not a domain name")]
    public void SaysWhatIsMissingOrWrong(string from, string to, string reason)
    {
        var xml = ReportXml.Report().Replace(from, to);
        var e = Assert.Throws<ReportFormatException>(() => ParsedReport.Parse(ReportXml.Bytes(xml)));
        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData("Example.COM.", "example.com")]
    [InlineData("bücher.example", "bücher.example")]
    [InlineData("_dmarc-reports.example.org", "_dmarc-reports.example.org")]
    public void APolicyDomainThatIsADomainNameIsRead(string domain, string expected)
    {
        var xml = ReportXml.Report().Replace("<policy_published><domain>example.com</domain>", $"<policy_published><domain>{domain}</domain>");
        Assert.Equal(expected, ParsedReport.Parse(ReportXml.Bytes(xml)).Policy.Domain);
    }
}
