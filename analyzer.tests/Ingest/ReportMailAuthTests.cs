using System.Net;
using System.Text;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Analysis.Enrichment;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Auth;
using DmarcAnalyzer.Tests.Auth.Dkim;
using DmarcAnalyzer.Tests.Reports;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary>
/// Red-team F9: reports that come by mail have the mail's DKIM signatures verified at ingest, and the verdict is stored
/// with each report; Analysis:RequireVerifiedReports and Analysis:Domains keep what should not be believed out.
/// </summary>
public sealed class ReportMailAuthTests
{
    private const string Ed = DkimSignature.Ed25519Sha256;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An aggregate report mail; <paramref name="email"/> is the report's report_metadata email.</summary>
    internal static string AggregateMail(string from = "dmarc@reporter.example", string email = "dmarc@reporter.example",
        string domain = "example.com", string reportId = "r-1") =>
        $"From: Reporter <{from}>\r\nTo: rua@example.com\r\nSubject: Report domain: {domain}\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n" +
        $"Message-ID: <{reportId}@reporter.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/xml\r\n\r\n" +
        ReportXml.Report(reportId: reportId, domain: domain).Replace("dmarc@reporter.example", email) + "\r\n";

    internal static Task<string> SignAsync(string message, string domain = "reporter.example") =>
        DkimTestMessages.SignAsync(message, Ed, domain: domain, selector: "sel");

    /// <summary>DNS with the signing key published at sel._domainkey of each domain.</summary>
    internal static FakeDnsResolver Keys(params string[] domains)
    {
        var dns = new FakeDnsResolver();
        using var key = DkimTestMessages.Key(Ed);
        foreach (var domain in domains)
            dns.Txt($"sel._domainkey.{domain}", key.PublicKeyRecord());
        return dns;
    }

    private static async Task<(IngestOutcome Outcome, List<string> Row)> IngestAsync(string message, IDnsResolver dns, bool require = false,
        params string[] domains)
    {
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(require, domains, dns) };
        var outcome = await store.IngestAsync(Encoding.Latin1.GetBytes(message));
        var row = await store.StringsAsync("SELECT auth || '|' || ifnull(auth_domains, '') || '|' || ifnull(mail_from_domain, '') FROM reports");
        return (outcome, row);
    }

    [Fact]
    public async Task AReportSignedByTheReportersDomainIsVerified()
    {
        var (outcome, row) = await IngestAsync(await SignAsync(AggregateMail()), Keys("reporter.example"));
        Assert.Equal(1, outcome.New);
        Assert.Equal(["verified|reporter.example|reporter.example"], row);
    }

    [Fact]
    public async Task ASubdomainSignatureAlignsRelaxed()
    {
        // RFC 9989's tree walk finds the organisational domain by its DMARC record.
        var dns = Keys("mail.reporter.example").Txt("_dmarc.reporter.example", "v=DMARC1; p=none");
        var (_, row) = await IngestAsync(await SignAsync(AggregateMail(), "mail.reporter.example"), dns);
        Assert.Equal(["verified|mail.reporter.example|reporter.example"], row);
    }

    [Fact]
    public async Task AReportSignedByAnotherDomainIsMarkedSo()
    {
        var (outcome, row) = await IngestAsync(await SignAsync(AggregateMail(), "forwarder.example"), Keys("forwarder.example"));
        Assert.Equal(1, outcome.New);
        Assert.Equal(["signed-other-domain|forwarder.example|reporter.example"], row);
    }

    [Fact]
    public async Task AForgedProvidersReportSignedByItsSenderIsNotVerified()
    {
        // The attacker signs its own mail well, yet the report claims to be Google's.
        var forged = AggregateMail(from: "dmarc@attacker.example", email: "noreply-dmarc-support@google.com");
        var (_, row) = await IngestAsync(await SignAsync(forged, "attacker.example"), Keys("attacker.example"));
        Assert.Equal(["signed-other-domain|attacker.example|attacker.example"], row);
    }

    [Fact]
    public async Task AnUnsignedReportIsMarkedUnsignedWithoutAskingDns()
    {
        var dns = Keys("reporter.example");
        var (outcome, row) = await IngestAsync(AggregateMail(), dns);
        Assert.Equal(1, outcome.New);
        Assert.Equal(["unsigned||reporter.example"], row);
        Assert.Empty(dns.Queries);
    }

    [Fact]
    public async Task ABrokenSignatureFails()
    {
        var signed = await SignAsync(AggregateMail());
        var (outcome, row) = await IngestAsync(signed.Replace("<count>1</count>", "<count>9</count>"), Keys("reporter.example"));
        Assert.Equal(1, outcome.New);
        Assert.Equal(["failed||reporter.example"], row);
    }

    [Fact]
    public async Task ABareFileIsNotMail()
    {
        var (outcome, row) = await IngestAsync(ReportXml.Report(), Keys(), require: true);
        Assert.Equal(1, outcome.New);
        Assert.Equal(["not-mail||"], row);
    }

    [Fact]
    public async Task WithDnsDownTheBatchWaitsOnceAndStoresEveryReport()
    {
        var dns = new DeadDns();
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(false, [], dns) };
        await using var pipeline = await IngestPipeline.OpenAsync(store.DatabasePath, store.Limits, store.Acceptance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, Ct);
        for (var i = 0; i < 3; i++)
        {
            var mail = await SignAsync(AggregateMail(reportId: $"r-{i}"));
            var outcome = await pipeline.IngestAsync(new MemoryStream(Encoding.Latin1.GetBytes(mail)), $"mail {i}", Ct);
            Assert.Equal(1, outcome.New);
        }
        Assert.Equal(2, dns.Asked); // the first key, then the health probe
        Assert.Equal(["dns-unavailable", "dns-unavailable", "dns-unavailable"], await store.StringsAsync("SELECT auth FROM reports ORDER BY id"));
    }

    [Fact]
    public async Task OneSignersLameZoneDoesNotSwitchVerificationOffForTheOthers()
    {
        var dns = Keys("reporter.example").Failing("sel._domainkey.lame.example");
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(false, [], dns) };
        await using var pipeline = await IngestPipeline.OpenAsync(store.DatabasePath, store.Limits, store.Acceptance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, Ct);
        await pipeline.IngestAsync(new MemoryStream(Encoding.Latin1.GetBytes(await SignAsync(AggregateMail(reportId: "a")))), "a", Ct);
        await pipeline.IngestAsync(new MemoryStream(Encoding.Latin1.GetBytes(
            await SignAsync(AggregateMail(from: "dmarc@lame.example", email: "dmarc@lame.example", reportId: "b"), "lame.example"))), "b", Ct);
        await pipeline.IngestAsync(new MemoryStream(Encoding.Latin1.GetBytes(await SignAsync(AggregateMail(reportId: "c")))), "c", Ct);
        Assert.Equal(["verified", "dns-unavailable", "verified"], await store.StringsAsync("SELECT auth FROM reports ORDER BY id"));
    }

    [Fact]
    public async Task AMailOfManyLameSignaturesWaitsOnceAndLeavesTheBatchVerifying()
    {
        var dns = Keys("reporter.example");
        var lame = AggregateMail(reportId: "lame");
        foreach (var domain in new[] { "lame1.example", "lame2.example", "lame3.example" })
        {
            dns.Failing($"sel._domainkey.{domain}");
            lame = await SignAsync(lame, domain);
        }
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(false, [], dns) };
        await using var pipeline = await IngestPipeline.OpenAsync(store.DatabasePath, store.Limits, store.Acceptance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, Ct);
        await pipeline.IngestAsync(new MemoryStream(Encoding.Latin1.GetBytes(await SignAsync(AggregateMail(reportId: "a")))), "a", Ct);
        await pipeline.IngestAsync(new MemoryStream(Encoding.Latin1.GetBytes(lame)), "lame", Ct);
        await pipeline.IngestAsync(new MemoryStream(Encoding.Latin1.GetBytes(await SignAsync(AggregateMail(reportId: "b")))), "b", Ct);
        Assert.Single(dns.Queries, q => q.Contains("lame", StringComparison.Ordinal));
        Assert.Equal(["verified", "dns-unavailable", "verified"], await store.StringsAsync("SELECT auth FROM reports ORDER BY id"));
    }

    [Fact]
    public async Task RequiringVerifiedReportsKeepsTheOthersAsFailuresWithTheirBytes()
    {
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(true, [], Keys("reporter.example", "forwarder.example")) };
        var unsigned = Encoding.Latin1.GetBytes(AggregateMail(reportId: "u"));
        Assert.Equal(1, (await store.IngestAsync(unsigned, "unsigned.eml")).Failed);
        Assert.Equal(1, (await store.IngestAsync(Encoding.Latin1.GetBytes(await SignAsync(AggregateMail(reportId: "o"), "forwarder.example")), "other.eml")).Failed);
        Assert.Equal(1, (await store.IngestAsync(Encoding.Latin1.GetBytes(await SignAsync(AggregateMail(reportId: "v"))), "verified.eml")).New);
        Assert.Equal(1, (await store.IngestAsync(ReportXml.Bytes(ReportXml.Report(reportId: "f")), "file.xml")).New);

        Assert.Equal(2, await store.ScalarAsync("SELECT count(*) FROM reports"));
        Assert.Equal(
            ["other.eml › text/xml|report mail not DKIM-signed by reporter.example; signed by forwarder.example (Analysis:RequireVerifiedReports)",
             "unsigned.eml › text/xml|report mail not DKIM-signed by reporter.example (Analysis:RequireVerifiedReports)"],
            await store.StringsAsync("SELECT source || '|' || reason FROM failures ORDER BY source"));
        Assert.Equal(unsigned.Length, await store.ScalarAsync(
            "SELECT length(b.raw) FROM failures f JOIN failure_blobs b ON b.sha256 = f.sha256 WHERE f.source LIKE 'unsigned.eml%'"));
    }

    [Fact]
    public async Task WithoutTheRequirementUnverifiedReportsAreStored()
    {
        var (outcome, _) = await IngestAsync(AggregateMail(), Keys(), require: false);
        Assert.Equal(new IngestOutcome(1, 0, 0, 1), outcome);
    }

    [Fact]
    public async Task RequiringVerifiedReportsWithDnsDownSaysSo()
    {
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(true, [], new DeadDns()) };
        Assert.Equal(1, (await store.IngestAsync(Encoding.Latin1.GetBytes(await SignAsync(AggregateMail())), "a.eml")).Failed);
        Assert.Contains("DNS unavailable", Assert.Single(await store.StringsAsync("SELECT reason FROM failures")));
    }

    [Theory]
    [InlineData("example.com", 1)]
    [InlineData("mail.example.com", 1)]
    [InlineData("example.net", 0)]
    [InlineData("notexample.com", 0)]
    public async Task AnAggregateReportOutsideAnalysisDomainsIsAFailure(string domain, int stored)
    {
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(false, ["example.com", "example.org."], null) };
        var outcome = await store.IngestAsync(ReportXml.Bytes(ReportXml.Report(domain: domain)), "r.xml");
        Assert.Equal(stored, outcome.New);
        if (stored == 0)
            Assert.Equal([$"report for a domain not in Analysis:Domains: {domain}"], await store.StringsAsync("SELECT reason FROM failures"));
    }

    [Fact]
    public async Task ATlsReportOutsideAnalysisDomainsIsAFailure()
    {
        var json = Encoding.UTF8.GetBytes("""
            {"organization-name":"Provider","date-range":{"start-datetime":"2026-11-03T00:00:00Z","end-datetime":"2026-11-03T23:59:59Z"},
             "contact-info":"tls@provider.example","report-id":"t-1",
             "policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"stranger.example"},
                          "summary":{"total-successful-session-count":5,"total-failure-session-count":0}}]}
            """);
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(false, ["example.com"], null) };
        Assert.Equal(1, (await store.IngestAsync(json, "t.json")).Failed);
        Assert.Equal(["report for a domain not in Analysis:Domains: stranger.example"], await store.StringsAsync("SELECT reason FROM failures"));
        Assert.Equal(0, await store.ScalarAsync("SELECT count(*) FROM tls_reports"));
    }

    [Fact]
    public async Task AFailureReportOutsideAnalysisDomainsIsAFailureAndOneInsideIsMarked()
    {
        var arf = File.ReadAllBytes(Path.Combine(Corpus.RepoRoot, "samples", "failure", "receiver.example-dkim-failure.eml"));
        await using (var store = new IngestHarness { Acceptance = new ReportAcceptance(false, ["example.org"], null) })
        {
            Assert.Equal(1, (await store.IngestAsync(arf, "arf.eml")).Failed);
            Assert.Equal(["report for a domain not in Analysis:Domains: example.com"], await store.StringsAsync("SELECT reason FROM failures"));
        }
        await using (var store = new IngestHarness { Acceptance = new ReportAcceptance(false, ["example.com"], null) })
        {
            Assert.Equal(1, (await store.IngestAsync(arf, "arf.eml")).FailureReportsNew);
            Assert.Equal(["unsigned|receiver.example"], await store.StringsAsync("SELECT auth || '|' || mail_from_domain FROM failure_reports"));
        }
    }

    [Fact]
    public async Task ASignedTlsReportMailIsVerifiedByItsFrom()
    {
        var json = """
            {"organization-name":"Provider","date-range":{"start-datetime":"2026-11-03T00:00:00Z","end-datetime":"2026-11-03T23:59:59Z"},
             "contact-info":"tls@provider.example","report-id":"t-2",
             "policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.com"},
                          "summary":{"total-successful-session-count":5,"total-failure-session-count":0}}]}
            """;
        var mail = "From: tls@provider.example\r\nTo: tlsrpt@example.com\r\nSubject: Report\r\nMIME-Version: 1.0\r\n" +
                   "Content-Type: application/tlsrpt+json\r\n\r\n" + json.ReplaceLineEndings("\r\n") + "\r\n";
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(true, ["example.com"], Keys("provider.example")) };
        Assert.Equal(1, (await store.IngestAsync(Encoding.UTF8.GetBytes(await SignAsync(mail, "provider.example")), "t.eml")).TlsNew);
        Assert.Equal(["verified|provider.example"], await store.StringsAsync("SELECT auth || '|' || auth_domains FROM tls_reports"));
    }

    [Fact]
    public async Task TheHtmlReportAndTheExportsMarkTheUnverifiedReporter()
    {
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(false, [], Keys("reporter.example")) };
        await store.IngestAsync(Encoding.Latin1.GetBytes(await SignAsync(AggregateMail(reportId: "v"))), "v.eml");
        await store.IngestAsync(Encoding.Latin1.GetBytes(AggregateMail(from: "dmarc@google.com", email: "noreply@google.com", reportId: "u")
            .Replace("<org_name>Reporter</org_name>", "<org_name>google.com</org_name>")), "u.eml");

        var analysis = await PeriodAnalysis.AnalyzeAsync(store.DatabasePath, ReportPeriod.All, null, KnownSenders.None, SourceEnricher.None, null, false, Ct);
        var unverified = analysis.Reporters["example.com"][0];
        Assert.Equal(("google.com", 1L, 1L, "not DKIM-signed by the reporter's domain"), (unverified.Label, unverified.Reports, unverified.Unverified, unverified.Why));
        using var folder = new TempFolder();
        var written = await ReportWriter.WriteAsync(analysis, folder.Path, DateTimeOffset.UnixEpoch, Ct);
        var html = await File.ReadAllTextAsync(written.IndexPath, Ct);
        Assert.Contains("Reporters and their report mail", html);
        Assert.Contains("<td data-label=\"reporter\">google.com</td>", html);
        Assert.Contains("<td data-label=\"reporter\">Reporter (signed by reporter.example)</td>", html);

        await using var db = await Store.OpenAsync(store.DatabasePath, Ct);
        var reports = await db.Export.ReportsAsync(Ct).ToListAsync(Ct);
        Assert.Equal([("verified", "reporter.example"), ("unsigned", null)], reports.OrderBy(r => r.ReportId).Reverse().Select(r => (r.Auth, r.AuthDomains)));
        var records = await db.Export.RecordsAsync(Ct).ToListAsync(Ct);
        Assert.Equal(["unsigned", "verified"], records.Select(r => r.Auth!).Order());
        using var csv = new MemoryStream();
        await CsvOutput.WriteAsync(csv, db.Export.ReportsAsync(Ct), Ct);
        Assert.EndsWith(",auth,auth_domains", Encoding.UTF8.GetString(csv.ToArray()).Split('\n')[0].TrimEnd('\r'));
        using var recordsCsv = new MemoryStream();
        await CsvOutput.WriteAsync(recordsCsv, db.Export.RecordsAsync(Ct), Ct);
        Assert.EndsWith(",country,auth,auth_domains", Encoding.UTF8.GetString(recordsCsv.ToArray()).Split('\n')[0].TrimEnd('\r'));
    }

    [Fact]
    public async Task ReportsStoredBeforeVerificationReadAsNotKnown()
    {
        await using var store = new IngestHarness();
        await store.IngestAsync(ReportXml.Bytes(ReportXml.Report()), "old.xml");
        await using (var db = await Store.OpenAsync(store.DatabasePath, Ct))
        {
            await using var clear = db.Connection.CreateCommand();
            clear.CommandText = "UPDATE reports SET auth = NULL";
            await clear.ExecuteNonQueryAsync(Ct);
            var rows = await db.ReportAuth.ReportersAsync(long.MinValue, long.MaxValue, null, Ct);
            Assert.Equal("not known whether DKIM-signed (stored before reports were verified)",
                Assert.Single(ReporterIdentities.Of(rows)["example.com"]).Why);
        }
    }

    /// <summary>A resolver whose every lookup times out, counting the lookups it was asked.</summary>
    private sealed class DeadDns : IDnsResolver
    {
        public int Asked { get; private set; }

        public Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct) => Dead<string>();

        public Task<DnsLookup<IPAddress>> AAsync(string name, CancellationToken ct) => Dead<IPAddress>();

        public Task<DnsLookup<IPAddress>> AaaaAsync(string name, CancellationToken ct) => Dead<IPAddress>();

        public Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct) => Dead<MxRecord>();

        public Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct) => Dead<string>();

        private Task<DnsLookup<T>> Dead<T>()
        {
            Asked++;
            return Task.FromResult(DnsLookup<T>.TempError("timed out"));
        }
    }
}
