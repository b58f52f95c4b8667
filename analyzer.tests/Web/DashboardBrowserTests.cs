using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Analysis;
using DmarcAnalyzer.Tests.Filter;
using Microsoft.Playwright;

namespace DmarcAnalyzer.Tests.Web;

/// <summary>
/// The dashboard in a real browser: Playwright driving Debian's chromium (test.sh installs it; Playwright's own
/// browser download is not used). Sign in, drill down, search, download a failure, request an exception, approve it
/// as admin (the viewer is offered no approval), sign out; on a desktop in light and on a 390-px phone in dark.
/// </summary>
public sealed class DashboardBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    public static TheoryData<string, int, int> Screens => new()
    {
        { "light", 1280, 900 },
        { "dark", 390, 844 },
    };

    [Theory]
    [MemberData(nameof(Screens))]
    public async Task SignInDrillDownSearchDownloadRequestApproveAndSignOut(string scheme, int width, int height)
    {
        Assert.SkipUnless(File.Exists(Chromium), $"{Chromium} is not installed (Debian package chromium; test.sh installs it)");
        await using var server = await DashboardHarness.StartAsync(fill: async store =>
        {
            await store.AddReportAsync("example.com", new DateOnly(2026, 2, 16),
            [
                new("192.0.2.1", 900, Dkim: [("example.com", "pass")]),
                new("198.51.100.7", 100, DkimEval: "fail", SpfEval: "fail", Dkim: [("spoof.example", "fail")]),
            ], org: "google.com");
            await using var writer = new IngestWriter(store.Db);
            await writer.AddFailureAsync("broken.xml.gz", "not gzip", new RawInput(new byte[] { 1, 2, 3 }, 3), TestContext.Current.CancellationToken);
        });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var options = new BrowserNewContextOptions
        {
            BaseURL = server.Address.ToString().TrimEnd('/'),
            ViewportSize = new() { Width = width, Height = height },
            ColorScheme = scheme == "dark" ? ColorScheme.Dark : ColorScheme.Light,
            AcceptDownloads = true,
        };

        await using (var viewer = await browser.NewContextAsync(options))
        {
            // Generous: the machine is shared, and a slow page is not what this test is about.
            viewer.SetDefaultTimeout(120_000);
            var page = await viewer.NewPageAsync();
            await page.GotoAsync("/");
            Assert.EndsWith("/signin?ReturnUrl=%2F", page.Url);
            await SignInAsync(page, DashboardHarness.ViewerName);

            Assert.Equal("Overview", await page.Locator("h1").InnerTextAsync());
            var background = await page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
            Assert.Equal(scheme == "dark" ? "rgb(29, 31, 33)" : "rgb(255, 255, 255)", background);
            Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the overview scrolls sideways");

            await page.GetByRole(AriaRole.Link, new() { Name = "example.com" }).ClickAsync();
            Assert.Equal("example.com", await page.Locator("h1").InnerTextAsync());
            Assert.True(await page.Locator("figure picture img").CountAsync() >= 2);
            await page.GetByRole(AriaRole.Link, new() { Name = "198.51.100.7" }).ClickAsync();
            Assert.Equal("198.51.100.7", await page.Locator("h1").InnerTextAsync());
            Assert.Contains("spoof.example", await page.Locator("main").InnerTextAsync());

            await page.GetByRole(AriaRole.Searchbox, new() { Name = "Search" }).First.FillAsync("google");
            await page.GetByRole(AriaRole.Searchbox, new() { Name = "Search" }).First.PressAsync("Enter");
            await page.WaitForURLAsync("**/search?q=google");
            Assert.Contains("google.com", await page.Locator("main").InnerTextAsync());

            await page.GetByRole(AriaRole.Link, new() { Name = "Failures" }).ClickAsync();
            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "download" }).ClickAsync());
            Assert.Equal("failure-1.bin", download.SuggestedFilename);
            Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(await download.PathAsync(), TestContext.Current.CancellationToken));

            await page.GetByRole(AriaRole.Link, new() { Name = "Exceptions" }).ClickAsync();
            await page.GetByLabel("Sender (address or domain)").FillAsync("billing@partner.example");
            await page.GetByLabel("Reason").FillAsync("Invoices come as encrypted ZIP files");
            await page.GetByRole(AriaRole.Button, new() { Name = "Request" }).ClickAsync();
            Assert.Contains("requested", await page.Locator("table.exceptions").InnerTextAsync());
            Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).CountAsync());

            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await page.WaitForURLAsync("**/signin");
        }

        await using (var admin = await browser.NewContextAsync(options))
        {
            // Generous: the machine is shared, and a slow page is not what this test is about.
            admin.SetDefaultTimeout(120_000);
            var page = await admin.NewPageAsync();
            await page.GotoAsync("/exceptions");
            await SignInAsync(page, DashboardHarness.AdminName);
            Assert.Equal("Encrypted-archive exceptions", await page.Locator("h1").InnerTextAsync());
            await page.GetByLabel("until").FillAsync("2026-06-30");
            await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
            Assert.Contains("approved", await page.Locator("table.exceptions").InnerTextAsync());

            await page.GotoAsync("/source/198.51.100.7");
            await page.GetByLabel("Name").FillAsync("partner relays");
            await page.GetByRole(AriaRole.Button, new() { Name = "Mark" }).ClickAsync();
            await page.WaitForURLAsync("**/senders");
            Assert.Contains("198.51.100.7/32", await page.Locator("main").InnerTextAsync());
            Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the known senders scroll sideways");
            await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
            Assert.Equal("Users", await page.Locator("h1").InnerTextAsync());
            Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the users page scrolls sideways");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await page.WaitForURLAsync("**/signin");
        }

        var approved = Assert.Single(await new ArchiveExceptionQueries(server.Store.Db).ApprovedAsync(TestContext.Current.CancellationToken));
        Assert.Equal(("billing@partner.example", new DateOnly(2026, 6, 30)), (approved.Sender, approved.Expires));
        // A running filter engine honours the approval once it re-reads the store: no restart.
        var (engine, stored) = StoredExceptionsTests.Engine(server.Store, server.Clock);
        Assert.Equal(VerdictAction.Reject, await StoredExceptionsTests.DecideAsync(engine, "billing@partner.example"));
        await stored.RefreshAsync(TestContext.Current.CancellationToken);
        Assert.Equal(VerdictAction.Accept, await StoredExceptionsTests.DecideAsync(engine, "billing@partner.example"));
    }

    private static async Task SignInAsync(IPage page, string name)
    {
        await page.GetByLabel("User").FillAsync(name);
        await page.GetByLabel("Password").FillAsync(DashboardHarness.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
    }
}
