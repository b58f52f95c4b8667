using System.Diagnostics;
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
    public async Task ValidatesAgainstTheRfc9990Schema()
    {
        var schema = Corpus.Require("schema", "dmarcbis-aggregate__draft-ietf-dmarc-aggregate-reporting-32__dmarc-xml-0.2.xsd");
        var xml = await WriteXmlAsync();
        var (code, output) = await RunAsync("xmllint", "--noout", "--schema", schema, xml);
        Assert.True(code == 0, output);
        Assert.Contains("validates", output);
    }

    [Fact]
    public async Task DmarcCatReadsTheSameRowsAndTotals()
    {
        // dmarc-cat takes a file only under its RFC name (receiver!domain!begin!end[!id].xml.gz), so this checks the name too.
        var report = Report();
        var path = Path.Combine(_folder.FullName, report.FileName);
        await File.WriteAllBytesAsync(path, AggregateReportXml.Gzip(report), Ct);
        var (code, output) = await RunAsync("dmarc-cat", "-N", path);
        Assert.True(code == 0, output);
        Assert.Contains("Domain: example.com", output);
        Assert.Contains("Reports(5):", output);
        var rows = output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 2 && System.Net.IPAddress.TryParse(f[0], out _)).ToList();
        Assert.Equal(5, rows.Count);
        Assert.Equal(8, rows.Sum(f => int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task MailDmarcReadsTheSameRowsAndTotals()
    {
        var xml = await WriteXmlAsync();
        var script = Path.Combine(_folder.FullName, "read.pl");
        // Mail::DMARC's receiver (Debian's 1.20211209) looks its elements up without a namespace, so it finds nothing in an
        // RFC 9990 report: the namespace declaration is taken off before its parser reads the elements and values.
        await File.WriteAllTextAsync(script, """
            use strict; use warnings;
            use XML::LibXML;
            use Mail::DMARC::Report::Receive;
            my $xml = do { local $/; open my $f, '<', $ARGV[0] or die "$ARGV[0]: $!"; <$f> };
            $xml =~ s/ xmlns="urn:ietf:params:xml:ns:dmarc-2.0"//;
            my $receive = Mail::DMARC::Report::Receive->new;
            my $dom = XML::LibXML->load_xml(string => $xml);
            $receive->do_node_report_metadata($dom->findnodes('/feedback/report_metadata'));
            $receive->do_node_policy_published($dom->findnodes('/feedback/policy_published'));
            $receive->do_node_record($_) for $dom->findnodes('/feedback/record');
            my $aggregate = $receive->report->aggregate;
            my @records = @{ $aggregate->record };
            my $total = 0;
            $total += $_->row->count for @records;
            printf "rows=%d total=%d domain=%s org=%s\n", scalar @records, $total,
                $aggregate->policy_published->domain, $aggregate->metadata->org_name;
            """, Ct);
        var (code, output) = await RunAsync("perl", script, xml);
        Assert.True(code == 0, output);
        Assert.Contains("rows=5 total=8 domain=example.com org=Example Receiver", output);
    }

    private async Task<string> WriteXmlAsync()
    {
        var path = Path.Combine(_folder.FullName, "report.xml");
        await using var file = File.Create(path);
        AggregateReportXml.Write(Report(), file);
        return path;
    }

    /// <summary>Runs a tool; skips the test when it is not installed (test.sh installs it).</summary>
    private static async Task<(int Code, string Output)> RunAsync(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // CI (DMARC_REQUIRE_CORPUS=1, test.sh) installs every tool: there a missing one fails rather than skips.
            if (Environment.GetEnvironmentVariable("DMARC_REQUIRE_CORPUS") == "1")
                Assert.Fail($"{tool} is not installed; DMARC_REQUIRE_CORPUS=1");
            Assert.Skip($"{tool} is not installed (test.sh installs it)");
            throw;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(Ct);
            var stderr = process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            return (process.ExitCode, await stdout + await stderr);
        }
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
