using System.Net;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Analysis;
using DmarcAnalyzer.Web;
using Microsoft.AspNetCore.Builder;

namespace DmarcAnalyzer.Tests.Web;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// A store with users alice (admin) and victor (viewer), and <c>dmarc serve</c> on it on 127.0.0.1 with a port of
/// its own (port 0), stopped afterwards.
/// </summary>
internal sealed partial class DashboardHarness : IAsyncDisposable
{
    public const string AdminName = "alice";
    public const string ViewerName = "victor";
    public const string Password = "correct horse battery";

    // Fewer PBKDF2 iterations than production: the tests sign in often, and the count is stored with each hash.
    private const int TestIterations = 1000;

    private DashboardHarness(TestStore store, WebApplication app, Uri address, ManualClock clock)
    {
        Store = store;
        App = app;
        Address = address;
        Clock = clock;
    }

    public TestStore Store { get; }

    public WebApplication App { get; }

    public Uri Address { get; }

    public ManualClock Clock { get; }

    public static async Task<DashboardHarness> StartAsync(Func<ServeOptions, ServeOptions>? configure = null, Func<TestStore, Task>? fill = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var store = await TestStore.CreateAsync();
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero));
        await new UserQueries(store.Db).SaveAsync(AdminName, UserRole.Admin, PasswordHash.Hash(Password, TestIterations), clock.Now, ct);
        await new UserQueries(store.Db).SaveAsync(ViewerName, UserRole.Viewer, PasswordHash.Hash(Password, TestIterations), clock.Now, ct);
        if (fill is not null)
            await fill(store);
        var options = new ServeOptions("http://127.0.0.1:0", store.DatabasePath, KnownSenders.None)
        {
            Time = clock,
            KeysFolder = Path.Combine(Path.GetDirectoryName(store.DatabasePath)!, "keys"),
        };
        var app = DashboardServer.Build(configure is null ? options : configure(options));
        await app.StartAsync(ct);
        var address = new Uri(DashboardServer.Addresses(app).Single());
        return new DashboardHarness(store, app, address, clock);
    }

    /// <summary>A client with its own cookies that does not follow redirects, so tests see them.</summary>
    public HttpClient Client(CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = Address };

    public async Task<HttpClient> SignedInAsync(string name)
    {
        var client = Client();
        var response = await SignInAsync(client, name, Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string name, string password) =>
        await PostFormAsync(client, "/signin", "/signin", new() { ["name"] = name, ["password"] = password });

    /// <summary>Posts a form with the anti-forgery token taken from the page the form is on, as a browser would.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string formPage, string action, Dictionary<string, string> fields)
    {
        var page = await client.GetStringAsync(formPage, TestContext.Current.CancellationToken);
        var token = TokenPattern().Match(page);
        Assert.True(token.Success, $"no anti-forgery token on {formPage}");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        return await client.PostAsync(action, new FormUrlEncodedContent(fields), TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        await Store.DisposeAsync();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
