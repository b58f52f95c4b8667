using System.Net;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Tests.Cli;

namespace DmarcAnalyzer.Tests.Charts;

/// <summary>
/// What a new user sees first: the README's main command on the samples, with the sample configuration and without it,
/// read as text, and the page looked at in Chromium at a phone's width and a desktop's.
/// </summary>
public sealed class SampleReportTests
{
    private static readonly string Samples = Path.Combine(Corpus.RepoRoot, "samples");

    private static async Task<string> RunSamplesAsync(TempFolder folder, params string[] extra)
    {
        var result = await DmarcProcess.RunAsync(folder.Path, ["run", Path.Combine(Samples, "rua"), "--no-dns", .. extra]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.LastLine;
    }

    /// <summary>The page as text: tags and charts dropped, entities decoded, white space collapsed.</summary>
    private static string Text(string index)
    {
        var html = File.ReadAllText(index);
        html = Regex.Replace(html, "<svg.*?</svg>|<style>.*?</style>", " ", RegexOptions.Singleline);
        return Regex.Replace(WebUtility.HtmlDecode(Regex.Replace(html, "<[^>]+>", " ")), @"\s+", " ");
    }

    [Fact]
    public async Task WithTheSampleConfigurationTheEspIsTheSenderToFixAndTheGainIsCounted()
    {
        using var folder = new TempFolder();
        var text = Text(await RunSamplesAsync(folder, "--config", Path.Combine(Samples, "dmarc.json")));

        Assert.DoesNotContain("No known senders are configured", text);
        Assert.Contains("Verdict: not ready. Stay at p=none and fix the 1 sender listed below, biggest first: it sends 3,297 of the " +
                        "3,736 messages (12.2% of legitimate mail) that p=quarantine would hit; the other 439 messages are forwarded", text);
        Assert.Contains("newsletter ESP 3,297", text);
        Assert.Contains("p=quarantine would have stopped 1,671 messages (5.2% of all mail) that nobody authorised this period", text);
        Assert.Contains("Verdict: ready. Move to p=reject with sp=reject, unless this is a general-purpose mail domain (see the note below): " +
                        "no legitimate mail fails DMARC.", text);
    }

    [Fact]
    public async Task WithoutKnownSendersThePageSaysSoAndTheEspIsAnUnrecognisedSenderNotSpoofing()
    {
        using var folder = new TempFolder();
        var text = Text(await RunSamplesAsync(folder));

        Assert.Contains("No known senders are configured. Analysis:KnownSenders is empty", text);
        Assert.Contains("Verdict: nearly ready. Stay at p=none and first look at the 1 unrecognised sender listed below: 3,297 messages", text);
        Assert.Contains("Unrecognised senders, probably services you use", text);
        Assert.Contains("198.51.100.20 — — 198.51.100.20 — — — 4,856 32.1% unrecognised sender", text);
        Assert.Contains("45.83.64.7 — — 45.83.64.7 — — — 1,348 0.0% unknown failing", text);
        // The ESP's failures are not counted as spoofing: what quarantine would have stopped is the rest.
        Assert.Contains("p=quarantine would have stopped 1,671 messages (5.2% of all mail)", text);
        Assert.DoesNotContain("fix the senders listed", text);
        Assert.DoesNotContain(" 0% of", text);
    }

    [Fact]
    public async Task TheSampleConfigurationWorksOnAFreshMachine()
    {
        using var folder = new TempFolder();
        var result = await DmarcProcess.RunAsync(folder.Path, "report", "--config", Path.Combine(Samples, "dmarc.json"), "--offline");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(Path.Combine(folder.Path, "reports", "index.html"), result.LastLine);
    }

    [Fact]
    public async Task ThePageFitsAPhoneAndItsChartTextStaysLegible()
    {
        HeadlessChromium.Require();
        using var folder = new TempFolder();
        var index = await RunSamplesAsync(folder, "--config", Path.Combine(Samples, "dmarc.json"));

        var phone = await HeadlessChromium.MeasureAsync(index, 390, folder.Path);
        var desktop = await HeadlessChromium.MeasureAsync(index, 1280, folder.Path);
        await HeadlessChromium.ScreenshotAsync(index, 390, 844, folder.File("phone.png"), folder.Path);
        await HeadlessChromium.ScreenshotAsync(index, 1280, 900, folder.File("desktop.png"), folder.Path);

        Assert.Equal(390, phone.Viewport);
        Assert.True(phone.PageWidth <= 390, $"at 390 px the page is {phone.PageWidth} px wide");
        Assert.True(phone.SmallestChartFont >= 9, $"at 390 px the smallest chart text is {phone.SmallestChartFont} px");
        Assert.True(desktop.PageWidth <= 1280, $"at 1280 px the page is {desktop.PageWidth} px wide");
        Assert.True(new FileInfo(folder.File("phone.png")).Length > 0);
        Assert.True(new FileInfo(folder.File("desktop.png")).Length > 0);
    }
}
