using System.Text;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Ingest;

namespace DmarcAnalyzer.Tests.Charts;

/// <summary>The report page's TLS and failure-report sections: their values, escaping and masking, from a real store.</summary>
public class TlsAndFailureSectionTests
{
    private static readonly DateTimeOffset Generated = new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);

    private static async Task<string> PageAsync(IngestHarness store, bool showDetails = false, string? domain = null)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = await Store.OpenAsync(store.DatabasePath, ct);
        var analysis = new ReportAnalysis(ReportPeriod.All, domain, [], 0)
        {
            Tls = await TlsAnalyzer.AnalyzeAsync(db.TlsReports, ReportPeriod.All, domain, ct),
            FailureReports = await FailureReportAnalyzer.AnalyzeAsync(db.FailureReports, ReportPeriod.All, domain, showDetails, ct),
        };
        return HtmlReport.Render(analysis, [], [], Generated);
    }

    [Fact]
    public async Task NeitherSectionWithoutData()
    {
        await using var store = new IngestHarness();
        await store.IngestAsync(Encoding.UTF8.GetBytes("{}"));
        var page = await PageAsync(store);
        Assert.DoesNotContain("id=\"tls\"", page);
        Assert.DoesNotContain("id=\"failure-reports\"", page);
    }

    [Fact]
    public async Task TlsSectionShowsSessionsRatesResultTypesHostsAndIps()
    {
        await using var store = new IngestHarness();
        await store.IngestFileAsync(Corpus.Require("smtp-tls", "parsedmarc__rfc8460.json"));
        await store.IngestFileAsync(Corpus.Require("smtp-tls", "dmarc-report-viewer__no-policy.json"));
        var page = await PageAsync(store);
        // RFC 8460 section 4.9: 5,326 successful and 303 failed sessions on 2016-04-01 (ISO week 2016-W13).
        Assert.Contains("<h3>company-y.example</h3>", page);
        Assert.Contains("<td>2016-04-01</td><td class=\"num\">5,629</td><td class=\"num\">5,326</td><td class=\"num\">303</td><td class=\"num\">94.6%</td>", page);
        Assert.Contains("<td>2016-W13</td><td class=\"num\">5,629</td>", page);
        Assert.Contains("<td>starttls-not-supported</td><td class=\"num\">200</td>", page);
        Assert.Contains("<td>mx2.mail.company-y.example</td><td class=\"num\">200</td>", page);
        Assert.Contains("<td>198.51.100.62</td><td class=\"num\">3</td>", page);
        // The no-policy-found report's domain is called out as the MTA-STS readiness step.
        Assert.Contains("<h3>foo-bar.io</h3>", page);
        Assert.Contains("<b>No policy found</b> for 1 sessions", page);
        Assert.Contains("MTA-STS", page);
    }

    [Fact]
    public async Task TlsSectionEscapesWhatReportsSay()
    {
        await using var store = new IngestHarness();
        var json = TlsReportJson("example.com", "<img src=x onerror=alert(1)>", mx: "<script>alert(1)</script>.example");
        Assert.Equal(1, (await store.IngestAsync(Encoding.UTF8.GetBytes(json))).TlsNew);
        // A policy domain that is no domain name keys nothing: the report is a failure with that reason.
        Assert.Equal(1, (await store.IngestAsync(Encoding.UTF8.GetBytes(TlsReportJson("<script>.example", "o")))).Failed);
        var page = await PageAsync(store);
        Assert.DoesNotContain("<script>", page);
        Assert.DoesNotContain("<img", page);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;.example", page);
    }

    [Fact]
    public async Task FailureSectionCountsAndMasks()
    {
        await using var store = new IngestHarness();
        foreach (var name in new[] { "mail-auth__arf-003.eml", "mail-auth__arf-004.eml", "parsedmarc__[Netease DMARC Failure Report] Rent Reminder.eml" })
            await store.IngestFileAsync(Corpus.Require("forensic", name));
        var page = await PageAsync(store);
        Assert.Contains("<span class=\"label\">failure reports</span><span class=\"value\">3</span>", page);
        Assert.Contains("<td>2018-09-28</td><td class=\"num\">1</td>", page);
        Assert.Contains("<td>192.0.2.1</td><td class=\"num\">1</td>", page);
        Assert.Contains("<td>dmarc</td><td class=\"num\">1</td>", page);
        Assert.Contains("<td>bodyhash</td><td class=\"num\">1</td>", page);
        Assert.Contains("<td>i***@cardinal.com</td><td>r***@163.com</td><td>Rent …</td>", page);
        Assert.DoesNotContain("Rent Reminder", page);
        Assert.DoesNotContain("info@cardinal.com", page);
        Assert.DoesNotContain("Rolf Bader", page);

        var whole = await PageAsync(store, showDetails: true);
        Assert.Contains("Rent Reminder", whole);
        Assert.Contains("700 on Washington &lt;info@cardinal.com&gt;", whole);
    }

    [Fact]
    public async Task FailureSectionEscapesWhatReportsSay()
    {
        await using var store = new IngestHarness();
        var arf = File.ReadAllText(Corpus.Require("forensic", "mail-auth__arf-003.eml")).Replace("Subject: This is a test", "Subject: <script>alert(1)</script>");
        Assert.Equal(1, (await store.IngestAsync(Encoding.UTF8.GetBytes(arf))).FailureReportsNew);
        var page = await PageAsync(store, showDetails: true);
        Assert.DoesNotContain("<script>", page);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", page);
    }

    internal static string TlsReportJson(string domain, string org, string? mx = null) => $$"""
        {"organization-name": {{System.Text.Json.JsonSerializer.Serialize(org)}}, "report-id": "r-1",
         "date-range": {"start-datetime": "2026-12-01T00:00:00Z", "end-datetime": "2026-12-01T23:59:59Z"},
         "policies": [{"policy": {"policy-type": "sts", "policy-domain": {{System.Text.Json.JsonSerializer.Serialize(domain)}}},
                       "summary": {"total-successful-session-count": 9, "total-failure-session-count": 1},
                       "failure-details": [{"result-type": "certificate-expired", "receiving-mx-hostname": {{System.Text.Json.JsonSerializer.Serialize(mx ?? domain)}}, "failed-session-count": 1}]}]}
        """;
}
