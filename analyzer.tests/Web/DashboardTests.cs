using System.Net;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Analysis;
using DmarcAnalyzer.Web;

namespace DmarcAnalyzer.Tests.Web;

/// <summary><c>dmarc serve</c> on a real Kestrel on 127.0.0.1: every page, every role, anti-forgery, lockout, proxies.</summary>
public sealed class DashboardTests
{
    private static readonly DateOnly Monday = new(2026, 2, 16);

    private static async Task Fill(TestStore store)
    {
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.1", 900, Dkim: [("example.com", "pass")], Spf: [("example.com", "pass")]),
            new("198.51.100.7", 100, DkimEval: "fail", SpfEval: "fail", Dkim: [("spoof.example", "fail")]),
        ], org: "google.com");
        await store.AddReportAsync("example.com", Monday.AddDays(7), [new("192.0.2.1", 500)], org: "yahoo.com");
        await using var writer = new IngestWriter(store.Db);
        await writer.AddFailureAsync("broken.xml.gz", "not gzip", new RawInput(new byte[] { 1, 2, 3, 0xFF }, 4), TestContext.Current.CancellationToken);
    }

    private static readonly string[] ReadPages =
        ["/", "/domain/example.com", "/source/192.0.2.1", "/search?q=192.0.2", "/search?q=google", "/report/1", "/failures", "/inbound", "/exceptions",
         "/tls", "/failure-reports", "/senders"];

    [Fact]
    public async Task NothingIsReadableWithoutSigningIn()
    {
        await using var server = await DashboardHarness.StartAsync(fill: Fill);
        using var client = server.Client();
        foreach (var page in ReadPages.Append("/audit").Append("/users").Append("/failures/1/raw"))
        {
            var response = await client.GetAsync(page, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/signin", response.Headers.Location!.PathAndQuery);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/signin", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task AnonymousReadWhenConfiguredButNoActing()
    {
        await using var server = await DashboardHarness.StartAsync(o => o with { AllowAnonymousRead = true }, Fill);
        using var client = server.Client();
        foreach (var page in ReadPages)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(page, TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/audit", TestContext.Current.CancellationToken)).StatusCode);
        // Raw failures are strangers' mail: signed-in users only, and the page offers no link to anyone else.
        var raw = await client.GetAsync("/failures/1/raw", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, raw.StatusCode);
        Assert.StartsWith("/signin", raw.Headers.Location!.PathAndQuery);
        var failures = await client.GetStringAsync("/failures", TestContext.Current.CancellationToken);
        Assert.Contains("broken.xml.gz", failures);
        Assert.DoesNotContain("/failures/1/raw", failures);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/users", TestContext.Current.CancellationToken)).StatusCode);
        var request = await DashboardHarness.PostFormAsync(client, "/signin", "/exceptions",
            new() { ["sender"] = "partner.example", ["reason"] = "anonymous" });
        Assert.Equal(HttpStatusCode.Redirect, request.StatusCode);
        Assert.Empty(await new ArchiveExceptionQueries(server.Store.Db).ListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task EveryPageRendersForEveryRole()
    {
        await using var server = await DashboardHarness.StartAsync(fill: Fill);
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        using var admin = await server.SignedInAsync(DashboardHarness.AdminName);
        foreach (var page in ReadPages)
        {
            Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync(page, TestContext.Current.CancellationToken)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(page, TestContext.Current.CancellationToken)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/audit", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/audit", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/users", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/users", TestContext.Current.CancellationToken)).StatusCode);

        var overview = await viewer.GetStringAsync("/", TestContext.Current.CancellationToken);
        Assert.Contains("<a href=\"/domain/example.com\">example.com</a>", overview);
        Assert.Contains("1,500", overview);
        var domain = await viewer.GetStringAsync("/domain/example.com?from=2026-02-16&to=2026-02-16", TestContext.Current.CancellationToken);
        Assert.Contains("1,000", domain);
        Assert.Contains("<picture><source media=\"screen and (prefers-color-scheme: dark)\" srcset=\"data:image/svg+xml;base64,", domain);
        Assert.Contains("href=\"/source/198.51.100.7?from=2026-02-16&amp;to=2026-02-16\"", domain);
        var source = await viewer.GetStringAsync("/source/198.51.100.7", TestContext.Current.CancellationToken);
        Assert.Contains("spoof.example", source);
        Assert.Contains("google.com", source);
        Assert.Contains("Unknown and failing", source);
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/domain/nothing.example", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task FailuresDownloadTheirRawBytes()
    {
        await using var server = await DashboardHarness.StartAsync(fill: Fill);
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        var page = await viewer.GetStringAsync("/failures", TestContext.Current.CancellationToken);
        Assert.Contains("broken.xml.gz", page);
        var raw = await viewer.GetAsync("/failures/1/raw", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal("application/octet-stream", raw.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", raw.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal([1, 2, 3, 0xFF], await raw.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/failures/2/raw", TestContext.Current.CancellationToken)).StatusCode);
        var audit = Assert.Single(await new AuditQueries(server.Store.Db).NewestAsync(10, TestContext.Current.CancellationToken), a => a.Action == "failure downloaded");
        Assert.Equal((DashboardHarness.ViewerName, "failure downloaded", "1", "broken.xml.gz"), (audit.Actor, audit.Action, audit.Subject, audit.Detail));
    }

    [Fact]
    public async Task FailuresArePagedNewestFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await DashboardHarness.StartAsync(fill: async store =>
        {
            await using var writer = new IngestWriter(store.Db);
            for (var i = 1; i <= 2 * FailuresPage.PageSize + 50; i++)
                await writer.AddFailureAsync($"junk-{i}.eml", "not a report", new RawInput(new byte[] { (byte)i }, 1), ct);
        });
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        var shown = new List<long>();
        string? next = "/failures";
        while (next is not null)
        {
            var page = await viewer.GetStringAsync(next, ct);
            Assert.Contains("250 inputs could not be read", page);
            var ids = System.Text.RegularExpressions.Regex.Matches(page, "href=\"/failures/([0-9]+)/raw\"").Select(m => long.Parse(m.Groups[1].Value)).ToList();
            Assert.InRange(ids.Count, 1, FailuresPage.PageSize);
            shown.AddRange(ids);
            var older = System.Text.RegularExpressions.Regex.Match(page, "href=\"(/failures\\?before=[0-9]+)\" rel=\"next\"");
            next = older.Success ? older.Groups[1].Value : null;
        }
        Assert.Equal(Enumerable.Range(1, 250).Select(i => (long)i).Reverse(), shown);
    }

    [Fact]
    public async Task ExceptionIsRequestedByViewerRefusedToViewerApprovedByAdminAndAudited()
    {
        await using var server = await DashboardHarness.StartAsync();
        var ct = TestContext.Current.CancellationToken;
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        var requested = await DashboardHarness.PostFormAsync(viewer, "/exceptions", "/exceptions",
            new() { ["sender"] = "billing@partner.example", ["recipient"] = "finance.example", ["reason"] = "encrypted invoices <b>" });
        Assert.Equal(HttpStatusCode.Redirect, requested.StatusCode);
        var row = Assert.Single(await new ArchiveExceptionQueries(server.Store.Db).ListAsync(ct));
        Assert.Equal(ExceptionState.Requested, row.State);

        var refused = await DashboardHarness.PostFormAsync(viewer, "/exceptions", $"/exceptions/{row.Id}/approve", new() { ["expires"] = "2026-06-30" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(ExceptionState.Requested, Assert.Single(await new ArchiveExceptionQueries(server.Store.Db).ListAsync(ct)).State);

        using var admin = await server.SignedInAsync(DashboardHarness.AdminName);
        var page = await admin.GetStringAsync("/exceptions", ct);
        Assert.Contains("encrypted invoices &lt;b&gt;", page);
        Assert.Contains($"action=\"/exceptions/{row.Id}/approve\"", page);
        var past = await DashboardHarness.PostFormAsync(admin, "/exceptions", $"/exceptions/{row.Id}/approve", new() { ["expires"] = "2026-01-01" });
        Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
        var approved = await DashboardHarness.PostFormAsync(admin, "/exceptions", $"/exceptions/{row.Id}/approve", new() { ["expires"] = "2026-06-30" });
        Assert.Equal(HttpStatusCode.Redirect, approved.StatusCode);
        var again = await DashboardHarness.PostFormAsync(admin, "/exceptions", $"/exceptions/{row.Id}/reject", []);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var stored = Assert.Single(await new ArchiveExceptionQueries(server.Store.Db).ApprovedAsync(ct));
        Assert.Equal(("billing@partner.example", "finance.example", DashboardHarness.AdminName, new DateOnly(2026, 6, 30)),
            (stored.Sender, stored.Recipient, stored.DecidedBy, stored.Expires));
        var audit = await new AuditQueries(server.Store.Db).NewestAsync(10, ct);
        Assert.Contains(audit, a => a.Actor == DashboardHarness.ViewerName && a.Action == "exception requested");
        Assert.Contains(audit, a => a.Actor == DashboardHarness.AdminName && a.Action == "exception approved" && a.Detail == "until 2026-06-30");
    }

    [Fact]
    public async Task BadRequestsForExceptionsAreRefusedWithAReason()
    {
        await using var server = await DashboardHarness.StartAsync();
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        foreach (var sender in new[] { "", "not an address", "<x>@example.com", "example" })
        {
            var response = await DashboardHarness.PostFormAsync(viewer, "/exceptions", "/exceptions", new() { ["sender"] = sender, ["reason"] = "r" });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        var noReason = await DashboardHarness.PostFormAsync(viewer, "/exceptions", "/exceptions", new() { ["sender"] = ".partner.example", ["reason"] = " " });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Empty(await new ArchiveExceptionQueries(server.Store.Db).ListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task FormsWithoutTheAntiforgeryTokenAreRefused()
    {
        await using var server = await DashboardHarness.StartAsync();
        using var admin = await server.SignedInAsync(DashboardHarness.AdminName);
        var ct = TestContext.Current.CancellationToken;
        var forged = await admin.PostAsync("/exceptions",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["sender"] = "partner.example", ["reason"] = "csrf" }), ct);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        var wrong = await admin.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = "forged" }), ct);
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        using var fresh = server.Client();
        var signIn = await fresh.PostAsync("/signin",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = DashboardHarness.AdminName, ["password"] = DashboardHarness.Password }), ct);
        Assert.Equal(HttpStatusCode.BadRequest, signIn.StatusCode);
        Assert.Empty(await new ArchiveExceptionQueries(server.Store.Db).ListAsync(ct));
    }

    [Fact]
    public async Task FiveFailedSignInsLockTheAccountForFifteenMinutes()
    {
        await using var server = await DashboardHarness.StartAsync();
        using var client = server.Client();
        for (var i = 0; i < SignInGuard.MaxFailures; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await DashboardHarness.SignInAsync(client, DashboardHarness.ViewerName, "wrong")).StatusCode);
            server.Clock.Now += TimeSpan.FromMinutes(2);
        }
        var locked = await DashboardHarness.SignInAsync(client, DashboardHarness.ViewerName, DashboardHarness.Password);
        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        Assert.Contains("locked", await locked.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        // Other accounts are not locked with it.
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(server.Client(), DashboardHarness.AdminName, DashboardHarness.Password)).StatusCode);

        // The lock runs fifteen minutes from the fifth failure, which was two minutes ago.
        server.Clock.Now += TimeSpan.FromMinutes(12);
        Assert.Equal(HttpStatusCode.Unauthorized, (await DashboardHarness.SignInAsync(client, DashboardHarness.ViewerName, DashboardHarness.Password)).StatusCode);
        server.Clock.Now += TimeSpan.FromMinutes(2);
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(client, DashboardHarness.ViewerName, DashboardHarness.Password)).StatusCode);
    }

    [Fact]
    public async Task FailuresSpreadOverMoreThanFifteenMinutesDoNotLock()
    {
        await using var server = await DashboardHarness.StartAsync();
        using var client = server.Client();
        for (var i = 0; i < SignInGuard.MaxFailures; i++)
        {
            await DashboardHarness.SignInAsync(client, DashboardHarness.ViewerName, "wrong");
            server.Clock.Now += TimeSpan.FromMinutes(4);
        }
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(client, DashboardHarness.ViewerName, DashboardHarness.Password)).StatusCode);
    }

    [Fact]
    public async Task UsersAddedWhileTheServerRunsCanSignInAndChangedOnesSignInAgain()
    {
        await using var server = await DashboardHarness.StartAsync();
        var ct = TestContext.Current.CancellationToken;
        await new UserQueries(server.Store.Db).SaveAsync("newcomer", UserRole.Viewer, PasswordHash.Hash("newcomer password", 1000), server.Clock.Now, ct);
        using var client = server.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(client, "newcomer", "newcomer password")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/audit", ct)).StatusCode);

        await new UserQueries(server.Store.Db).SaveAsync("newcomer", UserRole.Admin, PasswordHash.Hash("newcomer password", 1000), server.Clock.Now, ct);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/audit", ct)).StatusCode);
        using var again = server.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(again, "newcomer", "newcomer password")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/audit", ct)).StatusCode);
    }

    [Fact]
    public async Task CookiesAreHttpOnlyStrictAndSecureBehindAnHttpsProxy()
    {
        await using var server = await DashboardHarness.StartAsync(o => o with { KnownProxies = [IPAddress.Loopback] });
        var plain = await AuthCookieAsync(server, []);
        Assert.Contains("httponly", plain, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", plain, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("; secure", plain, StringComparison.OrdinalIgnoreCase);

        var overHttps = await AuthCookieAsync(server, new() { ["X-Forwarded-Proto"] = "https" });
        Assert.Contains("; secure", overHttps, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ForwardedHeadersFromAnUnlistedPeerAreIgnored()
    {
        await using var server = await DashboardHarness.StartAsync(o => o with { ProxyUserHeader = "X-Remote-User" });
        using var client = server.Client();
        client.DefaultRequestHeaders.Add("X-Remote-User", DashboardHarness.AdminName);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);
        Assert.DoesNotContain("; secure", await AuthCookieAsync(server, new() { ["X-Forwarded-Proto"] = "https" }), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Signs in without a cookie jar, carrying the anti-forgery cookie by hand, and returns the sign-in cookie as set.</summary>
    internal static async Task<string> AuthCookieAsync(DashboardHarness server, Dictionary<string, string> headers)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = server.Address };
        foreach (var (name, value) in headers)
            client.DefaultRequestHeaders.Add(name, value);
        var form = await client.GetAsync("/signin", ct);
        var antiforgery = form.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("dmarc.csrf=", StringComparison.Ordinal)).Split(';')[0];
        var token = System.Text.RegularExpressions.Regex.Match(await form.Content.ReadAsStringAsync(ct), "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token), ["name"] = DashboardHarness.AdminName, ["password"] = DashboardHarness.Password,
            }),
        };
        post.Headers.Add("Cookie", antiforgery);
        var response = await client.SendAsync(post, ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("dmarc.auth=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AConfiguredProxyNamesTheUser()
    {
        await using var server = await DashboardHarness.StartAsync(o => o with { KnownProxies = [IPAddress.Loopback], ProxyUserHeader = "X-Remote-User" });
        var ct = TestContext.Current.CancellationToken;
        using var viewer = server.Client();
        viewer.DefaultRequestHeaders.Add("X-Remote-User", DashboardHarness.ViewerName);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/audit", ct)).StatusCode);
        using var unknown = server.Client();
        unknown.DefaultRequestHeaders.Add("X-Remote-User", "mallory");
        Assert.Equal(HttpStatusCode.Redirect, (await unknown.GetAsync("/", ct)).StatusCode);
    }

    [Fact]
    public async Task PagesSendAPolicyWithoutInlineScripts()
    {
        await using var server = await DashboardHarness.StartAsync();
        var response = await server.Client().GetAsync("/signin", TestContext.Current.CancellationToken);
        var csp = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        var scripts = csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src", StringComparison.Ordinal));
        Assert.DoesNotContain("unsafe-inline", scripts);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal("nosniff", string.Join("", response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task SignInReturnsOnlyToPagesOfThisSite()
    {
        await using var server = await DashboardHarness.StartAsync();
        foreach (var (target, expected) in new[] { ("/failures", "/failures"), ("//evil.example/", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/") })
        {
            using var client = server.Client();
            var response = await DashboardHarness.PostFormAsync(client, "/signin", "/signin",
                new() { ["name"] = DashboardHarness.ViewerName, ["password"] = DashboardHarness.Password, ["returnUrl"] = target });
            Assert.Equal(expected, response.Headers.Location!.OriginalString);
        }
    }
}
