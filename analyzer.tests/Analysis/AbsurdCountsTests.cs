using System.Net;
using System.Text;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Tls;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Cli;
using DmarcAnalyzer.Tests.Web;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>
/// Counts are what strangers claim. Each is capped when read; a store whose counts sum past <see cref="long.MaxValue"/>
/// (many reports at the cap, or rows written before the cap) still gives every output: sums saturate, nothing throws.
/// </summary>
public sealed class AbsurdCountsTests
{
    private const long Huge = long.MaxValue / 3;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateOnly Day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-2);

    [Theory]
    [InlineData("5000000000000000000")]
    [InlineData("\"1000000000001\"")]
    [InlineData("9223372036854775807")]
    public void ATlsSessionCountAboveTheCapIsRefusedWithItsReason(string count)
    {
        var json = $$$"""
            {"organization-name":"o","report-id":"r","date-range":{"start-datetime":"2026-12-05T00:00:00Z","end-datetime":"2026-12-05T23:59:59Z"},
             "policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.com"},"summary":{"total-successful-session-count":{{{count}}},"total-failure-session-count":0}}]}
            """;
        var e = Assert.Throws<ReportFormatException>(() => TlsReportReader.Read(Encoding.UTF8.GetBytes(json), TlsReadLimits.Default));
        Assert.Contains("total-successful-session-count", e.Message);
        Assert.Contains("1,000,000,000,000", e.Message);
    }

    [Fact]
    public void ATlsSessionCountAtTheCapIsRead()
    {
        var json = $$$"""
            {"organization-name":"o","report-id":"r","date-range":{"start-datetime":"2026-12-05T00:00:00Z","end-datetime":"2026-12-05T23:59:59Z"},
             "policies":[{"policy":{"policy-type":"sts","policy-domain":"example.com"},"summary":{"total-successful-session-count":{{{ReportCount.Max}}},"total-failure-session-count":1}}]}
            """;
        Assert.Equal(ReportCount.Max, Assert.Single(TlsReportReader.Read(Encoding.UTF8.GetBytes(json), TlsReadLimits.Default).Policies).SuccessfulSessions);
    }

    [Theory]
    [InlineData(long.MaxValue, 1, long.MaxValue)]
    [InlineData(long.MaxValue - 5, 5, long.MaxValue)]
    [InlineData(Huge, Huge, Huge * 2)]
    [InlineData(3, 4, 7)]
    public void SumsSaturate(long a, long b, long sum) => Assert.Equal(sum, ReportCount.Add(a, b));

    private static async Task FillAsync(TestStore store)
    {
        for (var i = 0; i < 4; i++)
        {
            await store.AddReportAsync("example.com", Day, [new("192.0.2.1", Huge), new("203.0.113.9", Huge, DkimEval: "fail", SpfEval: "fail")],
                org: $"receiver{i}.example");
        }
        for (var i = 0; i < 3; i++)
        {
            var begin = new DateTimeOffset(Day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var policy = new TlsPolicyResult(TlsPolicyType.NoPolicyFound, "no-policy-found", [], "example.com", [], Huge, Huge,
                [new(TlsResultType.StarttlsNotSupported, "starttls-not-supported", "192.0.2.9", "mx.example.com", null, null, Huge, null, null)]);
            await TlsReportWriter.AddAsync(store.Db, new TlsReport("tls.example", begin, begin.AddDays(1).AddSeconds(-1), null, $"t{i}", [policy, policy]),
                ReadOnlyMemory<byte>.Empty, "test", ReportAuthentication.NotMail, Ct);
        }
    }

    [Fact]
    public async Task EveryCommandOutputIsWrittenFromAStoreWhoseCountsSumPastLongMax()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);
        var folder = Path.GetDirectoryName(store.DatabasePath)!;

        var report = await DmarcProcess.RunAsync(folder, "report", "--db", store.DatabasePath, "--out", Path.Combine(folder, "out"), "--no-dns");
        Assert.True(report.ExitCode == ExitCodes.Ok, report.Stderr);
        var html = await File.ReadAllTextAsync(Path.Combine(folder, "out", "index.html"), Ct);
        Assert.DoesNotContain("-", System.Text.RegularExpressions.Regex.Match(html, @"\d[\d,]{20,}").Value);

        var alert = await DmarcProcess.RunAsync(folder, "alert", "--db", store.DatabasePath, "--dry-run", "--offline");
        Assert.True(alert.ExitCode == ExitCodes.Ok, alert.Stderr);

        var digest = await DmarcProcess.RunAsync(folder, "digest", "--db", store.DatabasePath, "--to", "a@example.net",
            "--dry-run", Path.Combine(folder, "digest.eml"), "--no-dns");
        Assert.True(digest.ExitCode == ExitCodes.Ok, digest.Stderr);

        foreach (var what in new[] { "records", "reports", "tls" })
        {
            var export = await DmarcProcess.RunAsync(folder, "export", "--db", store.DatabasePath, "--what", what, "--format", "json");
            Assert.True(export.ExitCode == ExitCodes.Ok, export.Stderr);
        }
    }

    [Fact]
    public async Task EveryDashboardPageIsServedFromAStoreWhoseCountsSumPastLongMax()
    {
        await using var server = await DashboardHarness.StartAsync(fill: FillAsync);
        using var admin = await server.SignedInAsync(DashboardHarness.AdminName);
        var range = $"?from={Day.AddDays(-7):yyyy-MM-dd}&to={Day.AddDays(7):yyyy-MM-dd}";
        foreach (var page in new[] { "/", "/domain/example.com", "/source/203.0.113.9", "/search?q=203.0.113.9", "/report/1", "/inbound", "/tls", "/senders" })
        {
            var response = await admin.GetAsync(page + (page.Contains('?') ? "" : range), Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{page}: {response.StatusCode}");
        }
    }
}
