using System.Net;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Analysis;

namespace DmarcAnalyzer.Tests.Web;

/// <summary>The report side's hostile strings, through every page: nothing from a report, a mail or a user is markup.</summary>
public sealed class DashboardEscapingTests
{
    private const string Hostile = "<script>alert(1)</script>";

    [Fact]
    public async Task HostileStringsAreEscapedOnEveryPage()
    {
        await using var server = await DashboardHarness.StartAsync(fill: async store =>
        {
            await store.AddReportAsync(Hostile, new DateOnly(2026, 2, 16),
            [
                new(Hostile, 10, DkimEval: "fail", SpfEval: "fail", Disposition: Hostile, Reasons: [Hostile], HeaderFrom: Hostile,
                    Dkim: [(Hostile, Hostile)], Spf: [(Hostile, Hostile)]),
                new("192.0.2.1", 90, Dkim: [(Hostile, "pass")]),
            ], org: Hostile + "\u0001\uD800", p: Hostile);
            await using var writer = new IngestWriter(store.Db);
            await writer.AddFailureAsync(Hostile + ".gz", Hostile, new RawInput("<script>"u8.ToArray(), 8), TestContext.Current.CancellationToken);
            await new ArchiveExceptionQueries(store.Db).RequestAsync(Hostile, Hostile, Hostile, Hostile, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
            await new KnownSenderQueries(store.Db).AddAsync(Hostile, KnownSenderKind.PtrDomain, Hostile, Hostile, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
            await new StoreAlertQueries(store.Db).RecordAsync([(new AlertQueries.FiredAlert(Hostile, Hostile, Hostile), Hostile)], DateTimeOffset.UnixEpoch,
                TestContext.Current.CancellationToken);
            await new UserQueries(store.Db).SaveAsync(Hostile, UserRole.Viewer, "x", DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
        });
        using var admin = await server.SignedInAsync(DashboardHarness.AdminName);
        var pages = new[]
        {
            "/", "/domain/" + Uri.EscapeDataString(Hostile), "/source/192.0.2.1", "/search?q=" + Uri.EscapeDataString(Hostile),
            "/search?q=script", "/report/1", "/failures", "/inbound", "/exceptions", "/audit", "/senders", "/users", "/tls", "/failure-reports",
            "/tls?domain=" + Uri.EscapeDataString(Hostile), "/failure-reports?domain=" + Uri.EscapeDataString(Hostile),
        };
        foreach (var page in pages)
        {
            var response = await admin.GetAsync(page, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("\u0001", html, StringComparison.Ordinal);
        }
        var domain = await admin.GetStringAsync("/domain/" + Uri.EscapeDataString(Hostile), TestContext.Current.CancellationToken);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", domain);
        Assert.Contains("href=\"/search?q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E", domain);
    }
}
