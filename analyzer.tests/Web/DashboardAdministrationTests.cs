using System.Net;
using System.Text;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Analysis;
using DmarcAnalyzer.Tests.Charts;
using DmarcAnalyzer.Tests.Dns;
using DmarcAnalyzer.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Web;

/// <summary>
/// The dashboard's second round on a real Kestrel: TLS and failure-report pages, open alerts, published records
/// checked live, known senders marked in the store, and user management.
/// </summary>
public sealed class DashboardAdministrationTests
{
    private static readonly DateOnly Monday = new(2026, 2, 16);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task Fill(TestStore store)
    {
        await store.AddReportAsync("example.com", Monday,
        [
            new("192.0.2.1", 900, Dkim: [("example.com", "pass")], Spf: [("example.com", "pass")]),
            new("198.51.100.7", 100, DkimEval: "fail", SpfEval: "fail", Dkim: [("partner.example", "fail")]),
        ], org: "google.com");
    }

    private static async Task IngestAsync(TestStore store, byte[] input)
    {
        await using var pipeline = await IngestPipeline.OpenAsync(store.DatabasePath, IngestLimits.Default, NullLogger.Instance, Ct);
        await pipeline.IngestAsync(new MemoryStream(input), "test", Ct);
    }

    [Fact]
    public async Task TlsPageShowsTheSessionsOfThePeriodAndEscapes()
    {
        await using var server = await DashboardHarness.StartAsync(fill: async store =>
        {
            await IngestAsync(store, Encoding.UTF8.GetBytes(TlsAndFailureSectionTests.TlsReportJson("mail.example", "Sender <b>Org</b>")));
            await IngestAsync(store, Encoding.UTF8.GetBytes(TlsAndFailureSectionTests.TlsReportJson("other.example", "o", "<script>x</script>.example")
                .Replace("r-1", "r-2")));
        });
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        var page = await viewer.GetStringAsync("/tls", Ct);
        Assert.Contains("<h3>mail.example</h3>", page);
        Assert.Contains("<td>2026-12-01</td><td class=\"num\">10</td><td class=\"num\">9</td><td class=\"num\">1</td><td class=\"num\">90.0%</td>", page);
        Assert.Contains("<td>certificate-expired</td><td class=\"num\">1</td>", page);
        Assert.DoesNotContain("<script", page);
        Assert.Contains("&lt;script&gt;x&lt;/script&gt;.example", page);

        var one = await viewer.GetStringAsync("/tls?domain=mail.example", Ct);
        Assert.Contains("<h3>mail.example</h3>", one);
        Assert.DoesNotContain("other.example", one);
        Assert.Contains("name=\"domain\" value=\"mail.example\"", one);
        Assert.Contains("No SMTP TLS reports in this period.", await viewer.GetStringAsync("/tls?from=2026-01-01&to=2026-01-31", Ct));
    }

    [Fact]
    public async Task FailureReportsPageMasksAsTheStaticReportDoesUnlessConfigured()
    {
        var arf = File.ReadAllBytes(Corpus.Require("forensic", "parsedmarc__[Netease DMARC Failure Report] Rent Reminder.eml"));
        await using (var server = await DashboardHarness.StartAsync(fill: store => IngestAsync(store, arf)))
        {
            using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
            var page = await viewer.GetStringAsync("/failure-reports", Ct);
            Assert.Contains("<td>i***@cardinal.com</td><td>r***@163.com</td><td>Rent …</td>", page);
            Assert.Contains("Addresses and subjects are masked", page);
            Assert.DoesNotContain("Rent Reminder", page);
            Assert.DoesNotContain("info@cardinal.com", page);
            Assert.Contains("No failure reports about nothing.example in this period.", await viewer.GetStringAsync("/failure-reports?domain=nothing.example", Ct));
        }
        await using (var server = await DashboardHarness.StartAsync(o => o with { ShowFailureReportDetails = true }, store => IngestAsync(store, arf)))
        {
            using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
            Assert.Contains("Rent Reminder", await viewer.GetStringAsync("/failure-reports", Ct));
        }
    }

    [Fact]
    public async Task OverviewListsOpenAlertsNewestFirst()
    {
        await using var server = await DashboardHarness.StartAsync(fill: async store =>
        {
            await Fill(store);
            await new SqliteAlertQueries(store.Db).RecordAsync(
            [
                (new AlertQueries.FiredAlert("new-source", "example.com", "198.51.100.7"), "new source 198.51.100.7 sent <b>100</b> messages failing DMARC"),
                (new AlertQueries.FiredAlert("silence", "*", ""), "no report stored for 3 days"),
            ], new DateTimeOffset(2026, 3, 1, 6, 0, 0, TimeSpan.Zero), Ct);
        });
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        var overview = await viewer.GetStringAsync("/", Ct);
        Assert.Contains("<h2>Open alerts (2)</h2>", overview);
        Assert.Contains("<span class=\"badge v-not\">new-source</span> <a href=\"/domain/example.com\">example.com</a>: new source 198.51.100.7 sent &lt;b&gt;100&lt;/b&gt;", overview);
        Assert.Contains("<span class=\"badge v-not\">silence</span> *: no report stored for 3 days <span class=\"muted\">since 2026-03-01 06:00 UTC</span>", overview);

        await new SqliteAlertQueries(server.Store.Db).RecordAsync([], server.Clock.Now, Ct);
        Assert.DoesNotContain("Open alerts", await viewer.GetStringAsync("/", Ct));
    }

    [Fact]
    public async Task DomainPageChecksThePublishedRecordsLive()
    {
        var zone = ZoneFile.Parse("""
            _dmarc.example.com. 300 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@example.com"
            example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
            """);
        var dns = new DnsResolver(new LocalZone(zone), new DnsCache(100, TimeProvider.System), null);
        await using var server = await DashboardHarness.StartAsync(o => o with { Records = new PublishedRecords(dns, null, "no list in this test") }, Fill);
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        var page = await viewer.GetStringAsync("/domain/example.com", Ct);
        Assert.Contains("<h2>Published records (checked now)</h2>", page);
        Assert.Contains("<code>_dmarc.example.com: v=DMARC1; p=none; rua=mailto:dmarc@example.com</code>", page);
        Assert.Contains("p=none: monitoring only", page);
        Assert.Contains("<code>example.com: v=spf1 ip4:192.0.2.0/24 -all</code>", page);
        Assert.Contains("DNS-querying terms: 0 of 10; void lookups: 0 of 2; <span class=\"badge v-ready\">ok</span>", page);
    }

    [Fact]
    public async Task PublishedRecordsThatDnsDoesNotAnswerForCouldNotBeChecked()
    {
        var silent = new TestZone();
        silent["_dmarc.example.com"].TimesOut = true;
        silent["example.com"].TimesOut = true;
        await using var dnsServer = new LoopbackDnsServer(silent);
        var dns = new DnsResolver(LocalZone.Empty, new DnsCache(100, TimeProvider.System), new DnsTransport([dnsServer.EndPoint], TimeSpan.FromSeconds(30), 0));
        var records = new PublishedRecords(dns, null, null) { Limit = TimeSpan.FromSeconds(1) };
        await using var server = await DashboardHarness.StartAsync(o => o with { Records = records }, Fill);
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        var page = await viewer.GetStringAsync("/domain/example.com", Ct);
        Assert.Contains("Could not be checked: the DNS did not answer within 1 seconds.", page);
        Assert.Contains("<h2>Sources</h2>", page);

        await using var without = await DashboardHarness.StartAsync(fill: Fill);
        using var other = await without.SignedInAsync(DashboardHarness.ViewerName);
        Assert.Contains("Records are not checked", await other.GetStringAsync("/domain/example.com", Ct));
    }

    [Fact]
    public async Task AdminMarksAKnownSenderThatTheAnalysisUsesAndTheConfigurationWins()
    {
        var configured = KnownSenders.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["S:0:Name"] = "our relays", ["S:0:Ranges:0"] = "192.0.2.0/24",
        }).Build().GetSection("S"));
        await using var server = await DashboardHarness.StartAsync(o => o with { KnownSenders = configured }, Fill);
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        using var admin = await server.SignedInAsync(DashboardHarness.AdminName);

        var source = await admin.GetStringAsync("/source/198.51.100.7", Ct);
        Assert.Contains("<h3>Mark as a known sender</h3>", source);
        Assert.DoesNotContain("Mark as a known sender", await viewer.GetStringAsync("/source/198.51.100.7", Ct));
        var refused = await DashboardHarness.PostFormAsync(viewer, "/senders", "/senders", new() { ["name"] = "partner", ["value"] = "198.51.100.7" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        foreach (var bad in new[] { "192.0.2", "198.51.100.7/24", "not a domain", "" })
        {
            var response = await DashboardHarness.PostFormAsync(admin, "/senders", "/senders", new() { ["name"] = "partner", ["value"] = bad });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        var marked = await DashboardHarness.PostFormAsync(admin, "/source/198.51.100.7", "/senders", new() { ["name"] = "partner <i>", ["value"] = "198.51.100.7" });
        Assert.Equal(HttpStatusCode.Redirect, marked.StatusCode);
        var twice = await DashboardHarness.PostFormAsync(admin, "/senders", "/senders", new() { ["name"] = "other", ["value"] = "198.51.100.7/32" });
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        var overlapping = await DashboardHarness.PostFormAsync(admin, "/senders", "/senders", new() { ["name"] = "shadow", ["value"] = "192.0.2.0/25" });
        Assert.Equal(HttpStatusCode.Redirect, overlapping.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect,
            (await DashboardHarness.PostFormAsync(admin, "/senders", "/senders", new() { ["name"] = "mail", ["value"] = "Mail.Partner.Example." })).StatusCode);

        var list = await viewer.GetStringAsync("/senders", Ct);
        Assert.Contains("<code>198.51.100.7/32</code>", list);
        Assert.Contains("partner &lt;i&gt;", list);
        Assert.Contains("<code>mail.partner.example</code>", list);
        Assert.Contains("the configuration's our relays wins", list);
        Assert.Contains("the configuration wins", list);
        Assert.DoesNotContain("/remove", list);

        Assert.Contains("<a href=\"/senders\">partner &lt;i&gt;</a>", await viewer.GetStringAsync("/source/198.51.100.7", Ct));
        Assert.Contains("<a href=\"/senders\">our relays</a>", await viewer.GetStringAsync("/source/192.0.2.1", Ct));
        var domain = await viewer.GetStringAsync("/domain/example.com", Ct);
        Assert.Contains("<td>partner &lt;i&gt;</td><td>yes</td>", domain);
        Assert.Contains("<td>our relays</td><td>yes</td>", domain);
        Assert.DoesNotContain("<td>shadow</td>", domain);

        var stored = await new KnownSenderQueries(server.Store.Db).ListAsync(Ct);
        var partner = Assert.Single(stored, r => r.Name == "partner <i>");
        var removed = await DashboardHarness.PostFormAsync(admin, "/senders", $"/senders/{partner.Id}/remove", []);
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.Contains("<dt>Known sender</dt><dd>no</dd>", await viewer.GetStringAsync("/source/198.51.100.7", Ct));
        var audit = await new AuditQueries(server.Store.Db).NewestAsync(20, Ct);
        Assert.Contains(audit, a => a.Actor == DashboardHarness.AdminName && a.Action == "known sender added" && a.Detail == "range 198.51.100.7/32");
        Assert.Contains(audit, a => a.Actor == DashboardHarness.AdminName && a.Action == "known sender removed" && a.Subject == "partner <i>");
    }

    [Fact]
    public void StoredKnownSendersComeAfterTheConfigurations()
    {
        var configured = new KnownSenders([new KnownSender("configured", [IPNetwork.Parse("192.0.2.0/24")], ["example.net"])]);
        var both = configured.With(
        [
            new KnownSenderRow(1, "stored", KnownSenderKind.Range, "192.0.2.0/25", "a", DateTimeOffset.UnixEpoch),
            new KnownSenderRow(2, "stored", KnownSenderKind.PtrDomain, "mail.example.net", "a", DateTimeOffset.UnixEpoch),
            new KnownSenderRow(3, "stored", KnownSenderKind.Range, "198.51.100.0/24", "a", DateTimeOffset.UnixEpoch),
        ]);
        Assert.Equal("configured", both.Match(IPAddress.Parse("192.0.2.1"), null)?.Name);
        Assert.Equal("configured", both.Match(null, "out.mail.example.net")?.Name);
        Assert.Equal("stored", both.Match(IPAddress.Parse("198.51.100.9"), null)?.Name);
        Assert.Same(configured, configured.With([]));
    }

    [Fact]
    public async Task AdminManagesUsersAuditedWithoutHashesAndNeverLosesTheLastAdmin()
    {
        await using var server = await DashboardHarness.StartAsync();
        using var admin = await server.SignedInAsync(DashboardHarness.AdminName);
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/users", Ct)).StatusCode);
        Assert.DoesNotContain("href=\"/users\"", await viewer.GetStringAsync("/", Ct));
        var page = await admin.GetStringAsync("/users", Ct);
        Assert.Contains("<td>victor</td><td>viewer</td>", page);
        Assert.DoesNotContain("pbkdf2", page);

        Assert.Equal(HttpStatusCode.BadRequest, (await DashboardHarness.PostFormAsync(admin, "/users", "/users",
            new() { ["name"] = "bob", ["role"] = "viewer", ["password"] = "short" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await DashboardHarness.PostFormAsync(admin, "/users", "/users",
            new() { ["name"] = "bob", ["role"] = "root", ["password"] = "bob's long password" })).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.PostFormAsync(admin, "/users", "/users",
            new() { ["name"] = "bob", ["role"] = "viewer", ["password"] = "bob's long password" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await DashboardHarness.PostFormAsync(admin, "/users", "/users",
            new() { ["name"] = "BOB", ["role"] = "admin", ["password"] = "another long password" })).StatusCode);
        Assert.DoesNotContain("pbkdf2", await admin.GetStringAsync("/users", Ct));

        using var bobViewer = server.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(bobViewer, "bob", "bob's long password")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bobViewer.GetAsync("/users", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.PostFormAsync(admin, "/users", "/users/role",
            new() { ["name"] = "bob", ["role"] = "admin" })).StatusCode);
        // A new role is a new session.
        Assert.Equal(HttpStatusCode.Redirect, (await bobViewer.GetAsync("/users", Ct)).StatusCode);
        using var bob = server.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(bob, "bob", "bob's long password")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/users", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.PostFormAsync(admin, "/users", "/users/disable", new() { ["name"] = "bob" })).StatusCode);
        var signedOut = await bob.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.StartsWith("/signin", signedOut.Headers.Location!.PathAndQuery);
        Assert.Equal(HttpStatusCode.Unauthorized, (await DashboardHarness.SignInAsync(server.Client(), "bob", "bob's long password")).StatusCode);
        Assert.Contains("<span class=\"badge v-not\">disabled</span>", await admin.GetStringAsync("/users", Ct));

        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.PostFormAsync(admin, "/users", "/users/enable", new() { ["name"] = "bob" })).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.PostFormAsync(admin, "/users", "/users/password",
            new() { ["name"] = "bob", ["password"] = "bob's new long password" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await DashboardHarness.SignInAsync(server.Client(), "bob", "bob's long password")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(server.Client(), "bob", "bob's new long password")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await DashboardHarness.PostFormAsync(admin, "/users", "/users/password",
            new() { ["name"] = "nobody", ["password"] = "a long password" })).StatusCode);

        // alice and bob are the admins: bob may go, then alice may be neither demoted nor disabled.
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.PostFormAsync(admin, "/users", "/users/disable", new() { ["name"] = "bob" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await DashboardHarness.PostFormAsync(admin, "/users", "/users/role",
            new() { ["name"] = DashboardHarness.AdminName, ["role"] = "viewer" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await DashboardHarness.PostFormAsync(admin, "/users", "/users/disable",
            new() { ["name"] = DashboardHarness.AdminName })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/users", Ct)).StatusCode);

        var audit = await new AuditQueries(server.Store.Db).NewestAsync(50, Ct);
        foreach (var action in new[] { "user added", "role changed", "user disabled", "user enabled", "password reset" })
            Assert.Contains(audit, a => a.Actor == DashboardHarness.AdminName && a.Action == action && a.Subject == "bob");
        Assert.DoesNotContain(audit, a => (a.Detail ?? "").Contains("pbkdf2", StringComparison.Ordinal));
    }
}
