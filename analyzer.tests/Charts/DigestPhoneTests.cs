using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Analysis;
using Microsoft.Extensions.Configuration;
using MimeKit;

namespace DmarcAnalyzer.Tests.Charts;

/// <summary>The digest mail as a phone's mail client shows it: its HTML with the inline charts, in headless Chromium at 390 px.</summary>
public sealed class DigestPhoneTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly IsoWeek Week = new(2026, 8);

    /// <summary>The digest's HTML in <paramref name="folder"/>, each <c>cid:</c> reference pointing at its part written beside it.</summary>
    private static string WriteHtml(MimeMessage message, string folder)
    {
        var html = message.HtmlBody ?? "";
        var n = 0;
        foreach (var part in message.BodyParts.OfType<MimePart>().Where(p => p.ContentId is not null))
        {
            var name = $"chart-{++n}.png";
            Assert.NotNull(part.Content);
            using (var file = File.Create(Path.Combine(folder, name)))
                part.Content.DecodeTo(file);
            html = html.Replace("cid:" + part.ContentId, name, StringComparison.Ordinal);
        }
        Assert.True(n >= 2, $"{n} inline charts");
        var path = Path.Combine(folder, "digest.html");
        File.WriteAllText(path, html);
        return path;
    }

    [Fact]
    public async Task TheDigestFitsAPhoneAndItsChartTextStaysLegible()
    {
        HeadlessChromium.Require();
        using var folder = new TempFolder();
        await using var store = await TestStore.CreateAsync();
        // Names that do not break by themselves: a long sender name and advice, and many senders to fix.
        await store.AddReportAsync("a-rather-long-subdomain-name.mail-department.example.com", Week.Monday,
        [
            new("192.0.2.1", 900), new("192.0.2.2", 30, DkimEval: "fail", SpfEval: "fail"),
            new("203.0.113.50", 70, DkimEval: "fail", SpfEval: "fail"),
            new("198.51.100.9", 40, DkimEval: "fail", SpfEval: "fail", Dkim: [("newsletters-of-the-marketing-department.example.net", "pass")]),
        ]);
        var analyzer = StoreAnalyzerTests.Analyzer(StoreAnalyzerTests.Known(
            ("the-outbound-relays-of-the-headquarters-in-the-main-office-building", ["192.0.2.0/24"], [])));
        var week = await WeeklyDigest.AnalyzeAsync(store.Records, new SqliteVerdictQueries(store.Db), new TlsReportQueries(store.Db),
            new FailureReportQueries(store.Db), analyzer, Week, null, Ct);
        var message = Assert.Single(await DigestMail.ComposeAsync(week,
            DigestRecipients.FromConfiguration(new ConfigurationBuilder().Build().GetSection("Digest:Recipients")), [MailboxAddress.Parse("a@example.net")],
            new DateTimeOffset(2026, 2, 23, 6, 0, 0, TimeSpan.Zero), Ct));
        var page = WriteHtml(message.Message, folder.Path);

        var phone = await HeadlessChromium.MeasureAsync(page, 390, folder.Path);
        var desktop = await HeadlessChromium.MeasureAsync(page, 1280, folder.Path);
        await HeadlessChromium.ScreenshotAsync(page, 390, 844, folder.File("phone.png"), folder.Path);

        Assert.Equal(390, phone.Viewport);
        Assert.True(phone.PageWidth <= 390, $"at 390 px the digest is {phone.PageWidth} px wide");
        var smallest = phone.SmallestImageScale * ChartRenderer.TextSize;
        Assert.True(smallest >= 9, $"at 390 px the smallest chart text is {smallest:0.0} px");
        Assert.True(desktop.PageWidth <= 1280, $"at 1280 px the digest is {desktop.PageWidth} px wide");
        Assert.Equal(1, desktop.SmallestImageScale, 3);
        Assert.True(new FileInfo(folder.File("phone.png")).Length > 0);
    }
}
