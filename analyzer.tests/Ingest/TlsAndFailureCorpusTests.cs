using System.IO.Compression;
using System.Text;
using System.Text.Json;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Tests.Reports;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary>
/// Every SMTP TLS report and failure report in the shared corpus is stored whole (every policy and failure detail, its raw
/// bytes), or, where it is truly not one, becomes a failure with a reason a person understands.
/// </summary>
public class TlsAndFailureCorpusTests
{
    /// <summary>Forensic-folder files that are not DMARC failure reports (MANIFEST.md says why), with words their reason must have.</summary>
    private static readonly Dictionary<string, string> NotFailureReports = new()
    {
        ["mail-auth__arf-001.eml"] = "Feedback-Type \"abuse\"",
        ["mail-auth__arf-002.eml"] = "Feedback-Type \"abuse\"",
        ["parsedmarc__exim_plain_text_only_no_arf_part.eml"] = "written as prose",
    };

    public static TheoryData<string> Files(string folder)
    {
        var data = new TheoryData<string>();
        var path = Path.Combine(Corpus.Root, folder);
        if (!Directory.Exists(path))
            data.Add("(corpus missing)");
        else
            foreach (var file in Directory.EnumerateFiles(path).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files), "smtp-tls")]
    public async Task EveryTlsReportIsStoredWhole(string name)
    {
        var path = Corpus.Require("smtp-tls", name);
        await using var store = new IngestHarness();
        var outcome = await store.IngestFileAsync(path);
        Assert.Equal(new IngestOutcome(0, 0, 0, 0, TlsNew: 1), outcome);
        var json = name.EndsWith(".json") ? File.ReadAllBytes(path) : null;
        if (json is not null)
        {
            // Counted independently of the reader under test.
            using var document = JsonDocument.Parse(json);
            var policies = document.RootElement.GetProperty("policies").EnumerateArray().ToList();
            Assert.Equal(policies.Count, await store.ScalarAsync("SELECT count(*) FROM tls_policies"));
            Assert.Equal(policies.Sum(p => p.TryGetProperty("failure-details", out var d) && d.ValueKind == JsonValueKind.Array ? d.GetArrayLength() : 0),
                await store.ScalarAsync("SELECT count(*) FROM tls_failure_details"));
            Assert.Equal(json, await RawAsync(store, "tls_reports"));
        }
        Assert.True(await store.ScalarAsync("SELECT count(*) FROM tls_policies") > 0);
    }

    [Theory]
    [MemberData(nameof(Files), "forensic")]
    public async Task EveryFailureReportIsStoredWholeOrFailsWithAReason(string name)
    {
        var path = Corpus.Require("forensic", name);
        await using var store = new IngestHarness();
        var outcome = await store.IngestFileAsync(path);
        if (NotFailureReports.TryGetValue(name, out var why))
        {
            Assert.Equal(new IngestOutcome(0, 0, 1, 0), outcome);
            Assert.Contains(why, Assert.Single(await store.StringsAsync("SELECT reason FROM failures")));
            return;
        }
        Assert.Equal(new IngestOutcome(0, 0, 0, 0, FailureReportsNew: 1), outcome);
        Assert.Equal(File.ReadAllBytes(path), await RawAsync(store, "failure_reports"));
        Assert.Equal(["auth-failure"], await store.StringsAsync("SELECT feedback_type FROM failure_reports"));
    }

    [Fact]
    public async Task TheSameReportsAgainAreDuplicates()
    {
        await using var store = new IngestHarness();
        var tls = Directory.EnumerateFiles(Corpus.Require("smtp-tls")).Order(StringComparer.Ordinal).ToList();
        var failures = Directory.EnumerateFiles(Corpus.Require("forensic"), "*.eml").Order(StringComparer.Ordinal).ToList();
        var first = IngestOutcome.None;
        foreach (var file in tls.Concat(failures))
            first += await store.IngestFileAsync(file);
        var again = IngestOutcome.None;
        foreach (var file in tls.Concat(failures))
            again += await store.IngestFileAsync(file);
        Assert.Equal(tls.Count, first.TlsNew + first.TlsDuplicate);
        Assert.Equal(new IngestOutcome(0, 0, first.Failed, 0, 0, tls.Count, 0, first.FailureReportsNew + first.FailureReportsDuplicate), again);
        // The RFC 8460 example is in the corpus four times, and inside rpt01.eml; rpt02.eml carries rpt02.json.
        Assert.Equal(5, first.TlsDuplicate);
        // The LinkedIn report with CRLF line ends is the same report as with LF.
        Assert.Equal(1, first.FailureReportsDuplicate);
        Assert.Equal(first.TlsNew, await store.ScalarAsync("SELECT count(*) FROM tls_reports"));
        Assert.Equal(first.FailureReportsNew, await store.ScalarAsync("SELECT count(*) FROM failure_reports"));
        Assert.Equal("tls reports: 0 new, 19 duplicate; failure reports: 0 new, 7 duplicate", again.ToOtherKindsLine());
    }

    [Theory]
    [InlineData("application/tlsrpt+gzip", true)]
    [InlineData("application/gzip", true)]
    [InlineData("application/octet-stream", true)]
    [InlineData("application/tlsrpt+json", false)]
    [InlineData("application/octet-stream", false)]
    [InlineData("application/json", false)]
    public async Task TlsReportsInMailAreFoundWhateverTheirLabel(string label, bool gzip)
    {
        var json = File.ReadAllBytes(Corpus.Require("smtp-tls", "parsedmarc__smtp_tls.json"));
        await using var store = new IngestHarness();
        var mail = EmailIngestTests.Mail(label, gzip ? "report.json.gz" : "report.json", gzip ? BadInputTests.Gzip(json) : json);
        Assert.Equal(new IngestOutcome(0, 0, 0, 0, TlsNew: 1), await store.IngestAsync(mail));
        Assert.Equal(2, await store.ScalarAsync("SELECT count(*) FROM tls_failure_details"));
    }

    [Fact]
    public async Task AggregateAndOtherKindsCountApartInOneRun()
    {
        await using var store = new IngestHarness();
        var outcome = await store.IngestAsync(ReportXml.Bytes(ReportXml.Report(records: 2)))
                      + await store.IngestFileAsync(Corpus.Require("smtp-tls", "parsedmarc__mail.ru.json"))
                      + await store.IngestFileAsync(Corpus.Require("forensic", "mail-auth__arf-003.eml"))
                      + await store.IngestAsync(Encoding.UTF8.GetBytes("""{"organization-name": "o"}"""));
        Assert.Equal("reports: 1 new, 0 duplicate, 1 failed; records: 2", outcome.ToSummaryLine());
        Assert.Equal("tls reports: 1 new, 0 duplicate; failure reports: 1 new, 0 duplicate", outcome.ToOtherKindsLine());
        Assert.Null(IngestOutcome.None.ToOtherKindsLine());
    }

    [Fact]
    public async Task TheSamplesAreStored()
    {
        await using var store = new IngestHarness();
        var outcome = IngestOutcome.None;
        foreach (var folder in new[] { "tls", "failure" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Corpus.RepoRoot, "samples", folder)).Order(StringComparer.Ordinal))
                outcome += await store.IngestFileAsync(file);
        Assert.Equal(new IngestOutcome(0, 0, 0, 0, TlsNew: 7, FailureReportsNew: 2), outcome);
        Assert.Equal(["dkim", "spf"], await store.StringsAsync("SELECT auth_failure FROM failure_reports ORDER BY arrival_utc"));
    }

    private static async Task<byte[]> RawAsync(IngestHarness store, string table)
    {
        var hex = Assert.Single(await store.StringsAsync($"SELECT hex(raw_gzip) FROM {table}"));
        using var gzip = new GZipStream(new MemoryStream(Convert.FromHexString(hex)), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        gzip.CopyTo(raw);
        return raw.ToArray();
    }
}
