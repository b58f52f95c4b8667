using System.Text;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Analysis.Enrichment;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Analysis;
using DmarcAnalyzer.Tests.Web;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary>
/// Red-team F9 follow-up: a verified report proves the domain that signed its mail, not the org_name it carries, so every
/// place that names a reporter shows the signer beside a name it is not the domain of, and the plain-words mark for
/// reports not shown to be from their sender; TLS and failure reports alike, in the exports too.
/// </summary>
public sealed class ReporterIdentityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A report in google.com's name, in mail from and well signed by attacker.example: verified, as its sender is.</summary>
    private static async Task<string> ForgeryAsync() =>
        await ReportMailAuthTests.SignAsync(ReportMailAuthTests.AggregateMail(from: "dmarc@attacker.example", email: "dmarc@attacker.example", reportId: "forged")
            .Replace("<org_name>Reporter</org_name>", "<org_name>google.com</org_name>"), "attacker.example");

    private static string TlsMail(string from, string org, string reportId) =>
        $"From: {from}\r\nTo: tlsrpt@example.com\r\nSubject: Report\r\nMIME-Version: 1.0\r\nContent-Type: application/tlsrpt+json\r\n\r\n" +
        Charts.TlsAndFailureSectionTests.TlsReportJson("example.com", org).Replace("r-1", reportId).ReplaceLineEndings("\r\n") + "\r\n";

    private static string FailureMail() =>
        File.ReadAllText(Path.Combine(Corpus.RepoRoot, "samples", "failure", "receiver.example-dkim-failure.eml"), Encoding.Latin1);

    /// <summary>Every kind of report, verified and not, into the store at <paramref name="database"/>.</summary>
    internal static async Task FillAsync(string database)
    {
        var dns = ReportMailAuthTests.Keys("attacker.example", "reporter.example", "provider.example", "receiver.example");
        await using var pipeline = await IngestPipeline.OpenAsync(database, IngestLimits.Default, new ReportAcceptance(false, [], dns), NullLogger.Instance, Ct);
        string[] mails =
        [
            await ForgeryAsync(),
            await ReportMailAuthTests.SignAsync(ReportMailAuthTests.AggregateMail(reportId: "genuine")),
            ReportMailAuthTests.AggregateMail(reportId: "unsigned").Replace("<org_name>Reporter</org_name>", "<org_name>yahoo.com</org_name>"),
            await ReportMailAuthTests.SignAsync(TlsMail("tls@provider.example", "Provider", "tls-signed"), "provider.example"),
            TlsMail("tls@other.example", "other.example", "tls-unsigned"),
            await ReportMailAuthTests.SignAsync(FailureMail(), "receiver.example"),
        ];
        for (var i = 0; i < mails.Length; i++)
        {
            var outcome = await pipeline.IngestAsync(new MemoryStream(Encoding.Latin1.GetBytes(mails[i])), $"mail {i}", Ct);
            Assert.Equal(0, outcome.Failed);
        }
    }

    [Theory]
    [InlineData("google.com", "google.com", "")]
    [InlineData("google.com", "attacker.example", "attacker.example")]
    [InlineData("Google.com.", "mail.google.com", "")]
    [InlineData("enterprise.protection.outlook.com", "outlook.com", "")]
    [InlineData("Enterprise Outlook", "microsoft.com", "microsoft.com")]
    [InlineData("google.com", "google.com.attacker.example", "google.com.attacker.example")]
    [InlineData("google.com", "google.com,attacker.example", "")]
    public void TheSignerIsNamedBesideANameItIsNotTheDomainOf(string reporter, string signers, string beside)
    {
        var named = ReportAuthentication.SignersBeside(reporter, signers.Split(','));
        Assert.Equal(beside, string.Join(",", named));
        Assert.Equal(named.Count == 0 ? reporter : $"{reporter} (signed by {beside})", ReportAuthentication.Label(reporter, named));
    }

    [Fact]
    public void AReporterWithOneReportSignedByAStrangerShowsTheStrangerBesideItsOwnSigner()
    {
        ReporterAuthRow[] rows =
        [
            new("example.com", "google.com", ReportAuthVerdict.Verified, 5) { AuthDomains = "google.com" },
            new("example.com", "google.com", ReportAuthVerdict.Verified, 1) { AuthDomains = "attacker.example" },
            new("example.com", "google.com", ReportAuthVerdict.Unsigned, 2),
            new("example.com", "Yahoo", ReportAuthVerdict.NotMail, 3),
        ];
        var reporters = ReporterIdentities.Of(rows)["example.com"];
        Assert.Equal(["google.com (signed by attacker.example)", "Yahoo"], reporters.Select(r => r.Label));
        Assert.Equal((8, 6, 2), (reporters[0].Reports, reporters[0].Verified, reporters[0].Unverified));
        Assert.Equal("not DKIM-signed by the reporter's domain", reporters[0].MailText);
        Assert.Equal("read from files: no mail to verify", reporters[1].MailText);
    }

    [Fact]
    public async Task TheHtmlReportNamesTheSignerOfAWellSignedForgeryAndMarksTheUnsigned()
    {
        using var folder = new TempFolder();
        var database = folder.File("dmarc.db");
        await FillAsync(database);
        var analysis = await PeriodAnalysis.AnalyzeAsync(database, ReportPeriod.All, null, KnownSenders.None, SourceEnricher.None, null, false, Ct);
        Assert.Equal(["yahoo.com", "Reporter (signed by reporter.example)", "google.com (signed by attacker.example)"],
            analysis.Reporters["example.com"].Select(r => r.Label));
        var html = await File.ReadAllTextAsync((await ReportWriter.WriteAsync(analysis, folder.File("out"), DateTimeOffset.UnixEpoch, Ct)).IndexPath, Ct);
        Assert.Contains("<td data-label=\"reporter\">google.com (signed by attacker.example)</td>", html);
        Assert.Contains("<td data-label=\"reporter\">yahoo.com</td>", html);
        Assert.Contains("not DKIM-signed by the reporter&#39;s domain", html);
        // The TLS section and the failure-report section name their reporters the same way.
        Assert.Contains("<td>Provider (signed by provider.example)</td>", html);
        Assert.Contains("<td>other.example</td>", html);
        Assert.Contains("<td>receiver.example</td>", html);
        Assert.Contains("DKIM-signed by its sender&#39;s domain", html);
    }

    [Fact]
    public async Task TheDashboardPagesNameTheSignerAndMarkTheUnverified()
    {
        await using var server = await DashboardHarness.StartAsync(fill: store => FillAsync(store.DatabasePath));
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);

        var domain = await viewer.GetStringAsync("/domain/example.com", Ct);
        Assert.Contains("google.com (signed by attacker.example)</a>", domain);
        Assert.Contains("not DKIM-signed by the reporter&#39;s domain", domain);

        var report = await viewer.GetStringAsync("/report/1", Ct);
        Assert.Contains("<dd>google.com (signed by attacker.example) &lt;dmarc@attacker.example&gt;</dd>", report);
        Assert.Contains("DKIM-signed by its sender&#39;s domain (signed by attacker.example)", report);

        var tls = await viewer.GetStringAsync("/tls", Ct);
        Assert.Contains("<td>Provider (signed by provider.example)</td>", tls);
        Assert.Contains("<td>other.example</td><td class=\"num\">1</td><td class=\"num\">1</td><td>not DKIM-signed by the reporter&#39;s domain</td>", tls);

        var failures = await viewer.GetStringAsync("/failure-reports", Ct);
        Assert.Contains("<td>receiver.example</td><td class=\"num\">1</td><td class=\"num\">0</td><td>DKIM-signed by its sender&#39;s domain</td>", failures);
    }

    [Fact]
    public async Task TlsAndFailureExportsEndWithTheVerdict()
    {
        using var folder = new TempFolder();
        var database = folder.File("dmarc.db");
        await FillAsync(database);
        await using var store = await Store.OpenAsync(database, Ct);
        Assert.Equal(["verified|provider.example", "unsigned|"],
            await store.TlsReports.ExportAsync(Ct).Select(r => $"{r.Auth}|{r.AuthDomains}").ToListAsync(Ct));
        Assert.Equal(["verified|receiver.example"], await store.FailureReports.ExportAsync(Ct).Select(r => $"{r.Auth}|{r.AuthDomains}").ToListAsync(Ct));

        using var tls = new MemoryStream();
        await CsvOutput.WriteAsync(tls, store.TlsReports.ExportAsync(Ct), Ct);
        var tlsLines = Encoding.UTF8.GetString(tls.ToArray()).Split('\n');
        Assert.EndsWith(",source,ingested,auth,auth_domains", tlsLines[0].TrimEnd('\r'));
        Assert.EndsWith(",verified,provider.example", tlsLines[1].TrimEnd('\r'));
        using var failures = new MemoryStream();
        await CsvOutput.WriteAsync(failures, store.FailureReports.ExportAsync(Ct), Ct);
        var failureLines = Encoding.UTF8.GetString(failures.ToArray()).Split('\n');
        Assert.EndsWith(",identity,source,ingested,auth,auth_domains", failureLines[0].TrimEnd('\r'));
        Assert.EndsWith(",verified,receiver.example", failureLines[1].TrimEnd('\r'));
    }
}
