using System.IO.Compression;
using System.Text;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Analysis;
using DmarcAnalyzer.Tests.Cli;
using DmarcAnalyzer.Tests.Milter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace DmarcAnalyzer.Tests.Charts;

/// <summary>The weekly digest: built for mail clients, and delivered by the real Postfix the milter tests start.</summary>
public sealed class DigestMailTests(PostfixFixture postfix) : IClassFixture<PostfixFixture>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly IsoWeek Week = new(2026, 8);
    private static readonly DateTimeOffset Generated = new(2026, 2, 23, 6, 0, 0, TimeSpan.Zero);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("digest-");

    /// <summary>example.com fails a little from a known sender and has a new source this week; example.org passes.</summary>
    private static async Task FillAsync(TestStore store)
    {
        await store.AddReportAsync("example.com", Week.Monday.AddDays(-7), [new("192.0.2.1", 900)]);
        await store.AddReportAsync("example.com", Week.Monday, [new("192.0.2.1", 900), new("192.0.2.2", 30, DkimEval: "fail", SpfEval: "fail"),
            new("203.0.113.50", 70, DkimEval: "fail", SpfEval: "fail")]);
        await store.AddReportAsync("example.org", Week.Monday.AddDays(2), [new("198.51.100.1", 500)]);
    }

    private static async Task<IReadOnlyList<MimeMessage>> ComposeAsync(TestStore store, DigestRecipients recipients, params string[] to)
    {
        var week = await WeeklyDigest.AnalyzeAsync(store.Records, new SqliteVerdictQueries(store.Db), new TlsReportQueries(store.Db),
            new FailureReportQueries(store.Db), StoreAnalyzerTests.Analyzer(StoreAnalyzerTests.Known(("relays", ["192.0.2.0/24"], []))), Week, null, Ct);
        return [.. (await DigestMail.ComposeAsync(week, recipients, [.. to.Select(MailboxAddress.Parse)], Generated, Ct)).Select(m => m.Message)];
    }

    private static DigestRecipients Recipients(params (string Key, string Value)[] values) =>
        DigestRecipients.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Digest:Recipients:" + v.Key, v.Value))).Build()
            .GetSection("Digest:Recipients"));

    [Fact]
    public async Task TheDigestIsDeliveredThroughPostfixWithInlineChartsTextAndTheCsvZip()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);
        var message = Assert.Single(await ComposeAsync(store, Recipients(("*:0", "postmaster@example.net"))));
        var marker = Guid.NewGuid().ToString("N");
        message.Headers.Add("X-Test-Marker", marker);

        var passwordFile = Path.Combine(_folder.FullName, "password");
        await File.WriteAllTextAsync(passwordFile, PostfixFixture.Password + "\n", Ct);
        var settings = new SmtpSettings("127.0.0.1", postfix.SubmissionPort, SmtpTls.None, "DMARC reports <dmarc@example.org>", PostfixFixture.User, passwordFile);
        var outbox = new Outbox(new OutboxQueries(store.Db), settings, TimeProvider.System, NullLogger<Outbox>.Instance);
        await outbox.EnqueueAsync(message, Ct);
        Assert.Equal(new OutboxFlush(1, 0), await outbox.FlushAsync(Ct));

        // The pipe's flags=F puts an mbox "From " line first.
        var raw = await postfix.WaitForDeliveryAsync(marker, Ct);
        var delivered = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(raw.StartsWith("From ", StringComparison.Ordinal) ? raw[(raw.IndexOf('\n') + 1)..] : raw)), Ct);
        Assert.Equal("postmaster@example.net", delivered.To.Mailboxes.Single().Address);
        Assert.Equal("DMARC weekly digest 2026-W08: example.com nearly ready, example.org ready", delivered.Subject);

        var html = delivered.HtmlBody ?? "";
        var images = delivered.BodyParts.OfType<MimePart>().Where(p => p.ContentType.IsMimeType("image", "png")).ToList();
        // Volume and failing senders of example.com; volume alone of example.org, where nothing failed.
        Assert.Equal(3, images.Count);
        Assert.Equal(images.Count, images.Select(i => i.FileName).Distinct().Count());
        foreach (var image in images)
        {
            Assert.Contains($"src=\"cid:{image.ContentId}\"", html);
            using var png = new MemoryStream();
            await image.Content!.DecodeToAsync(png, Ct);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.ToArray()[..4]);
        }
        Assert.Contains("Verdict: nearly ready.", html);
        Assert.Contains("New sources since last week", html);
        Assert.Contains("203.0.113.50", html);
        Assert.Contains("Verdict: nearly ready.", delivered.TextBody);
        Assert.Contains("Verdict: ready.", delivered.TextBody);
        Assert.Contains("Senders to fix, biggest first:", delivered.TextBody);

        var zip = Assert.Single(delivered.Attachments.OfType<MimePart>());
        Assert.Equal("dmarc-2026-W08.zip", zip.FileName);
        using var zipBytes = new MemoryStream();
        await zip.Content!.DecodeToAsync(zipBytes, Ct);
        zipBytes.Position = 0;
        using var archive = new ZipArchive(zipBytes);
        Assert.Contains(archive.Entries, e => e.Name == "readiness.csv");
        Assert.Contains(archive.Entries, e => e.Name == "weekly.csv");
    }

    [Fact]
    public async Task TheHtmlIsForMailClients()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);
        var html = Assert.Single(await ComposeAsync(store, Recipients(), "a@example.net")).HtmlBody ?? "";

        Assert.DoesNotContain("<svg", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=\"http", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-width:680px", html);
        foreach (var width in System.Text.RegularExpressions.Regex.Matches(html, "width=\"(\\d+)\"").Select(m => int.Parse(m.Groups[1].Value)))
            Assert.True(width <= DigestMail.Width, $"width {width}");
    }

    [Fact]
    public async Task DomainsGoToTheirRecipientsAndTheRestToStar()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);

        var messages = await ComposeAsync(store, Recipients(("example.com:0", "com@example.net"), ("example.com:1", "both@example.net"), ("*", "rest@example.net")));

        Assert.Equal(2, messages.Count);
        var com = messages.Single(m => m.To.Mailboxes.Any(a => a.Address == "com@example.net"));
        Assert.Contains("both@example.net", com.To.Mailboxes.Select(a => a.Address));
        Assert.Contains("example.com", com.Subject);
        Assert.DoesNotContain("example.org", com.Subject);
        var rest = messages.Single(m => m.To.Mailboxes.Any(a => a.Address == "rest@example.net"));
        Assert.Contains("example.org", rest.Subject);
        Assert.DoesNotContain("example.com", rest.Subject);
    }

    [Fact]
    public async Task DryRunWritesTheMailToAFile()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);
        var file = Path.Combine(_folder.FullName, "digest.eml");

        var result = await DmarcProcess.RunAsync(_folder.FullName, "digest", "--db", store.DatabasePath, "--week", "2026-W08", "--to", "a@example.net",
            "--dry-run", file, "--no-dns");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains($"digest 2026-W08: to a@example.net written to {file}", result.Stdout);
        var message = await MimeMessage.LoadAsync(file, Ct);
        Assert.Contains("Verdict:", message.TextBody);
        Assert.Equal(0, await new OutboxQueries(store.Db).CountAsync(Ct));
    }

    [Fact]
    public async Task TlsAndFailureReportHighlightsAreInTheHtmlAndTheTextWithoutPersonalData()
    {
        await using var store = await TestStore.CreateAsync();
        await FillAsync(store);
        await SyntheticReports.IngestAsync(store.DatabasePath,
            SyntheticReports.Tls("example.com", Week.Monday.AddDays(1), 980, 20),
            SyntheticReports.Failure("example.com", new DateTimeOffset(Week.Monday.AddDays(2).ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero),
                "203.0.113.50", "j.doe.secret@example.com"),
            SyntheticReports.Failure("example.com", new DateTimeOffset(Week.Monday.AddDays(-3).ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero),
                "203.0.113.51", "other@example.com"));

        var messages = await ComposeAsync(store, Recipients(("example.com", "com@example.net"), ("*", "rest@example.net")));
        var com = messages.Single(m => m.To.Mailboxes.Any(a => a.Address == "com@example.net"));
        var html = com.HtmlBody ?? "";
        var text = com.TextBody ?? "";
        Assert.Contains("SMTP TLS reports", html);
        Assert.Contains("1,000 TLS sessions reported, 98.0% successful, 20 failed", html);
        Assert.Contains("<td style=\"padding:4px 8px;border-bottom:1px solid #d8d8d8;color:#1b1b1b;background:#ffffff;text-align:left;vertical-align:top;overflow-wrap:anywhere;word-break:break-word;\">starttls-not-supported</td>", html);
        Assert.Contains("mx1.example.com", html);
        Assert.Contains("SMTP TLS reports: 1,000 TLS sessions reported, 98.0% successful, 20 failed", text);
        Assert.Contains("Failed by result type: starttls-not-supported 20", text);
        // Only the failure report of the week, as counts.
        Assert.Contains("Failure reports: 1 failure report arrived", text);
        Assert.Contains("By failed check: dmarc 1", text);
        Assert.Contains("By source: 203.0.113.50 1", text);
        Assert.Contains("failed: dmarc", html);
        Assert.DoesNotContain("203.0.113.51", text);
        Assert.DoesNotContain("j.doe", html + text);
        Assert.DoesNotContain("Invoice", html + text);
        // The other domain had neither.
        var rest = messages.Single(m => m.To.Mailboxes.Any(a => a.Address == "rest@example.net"));
        Assert.DoesNotContain("SMTP TLS reports", rest.TextBody);
        Assert.DoesNotContain("Failure reports", rest.TextBody);
    }

    [Fact]
    public async Task ASecondDigestOfTheWeekSendsNothingAndForceSendsItAgainThroughPostfix()
    {
        await using var store = await TestStore.CreateAsync();
        // A domain of this test alone: its name finds the deliveries.
        var domain = $"d{Guid.NewGuid():N}.example";
        await store.AddReportAsync(domain, Week.Monday, [new("192.0.2.1", 900)]);
        var passwordFile = Path.Combine(_folder.FullName, "password");
        await File.WriteAllTextAsync(passwordFile, PostfixFixture.Password + "\n", Ct);
        var config = Path.Combine(_folder.FullName, "dmarc.json");
        await File.WriteAllTextAsync(config, $$"""
            { "Smtp": { "Host": "127.0.0.1", "Port": {{postfix.SubmissionPort}}, "Tls": "none", "From": "DMARC reports <dmarc@example.org>",
                        "User": "{{PostfixFixture.User}}", "PasswordFile": "{{passwordFile}}" },
              "Digest": { "Recipients": { "*": "postmaster@example.net" } } }
            """, Ct);
        Task<DmarcProcess.Result> DigestAsync(params string[] more) =>
            DmarcProcess.RunAsync(_folder.FullName, ["digest", "--db", store.DatabasePath, "--week", "2026-W08", "--config", config, "--no-dns", .. more]);

        var first = await DigestAsync();
        Assert.True(first.ExitCode == ExitCodes.Ok, first.Stderr);
        Assert.Contains("digest 2026-W08: to postmaster@example.net queued", first.Stdout);
        Assert.Contains("outbox: 1 sent, 0 deferred", first.Stdout);
        Assert.Contains(domain, await postfix.WaitForDeliveryAsync(domain, Ct));

        var second = await DigestAsync();
        Assert.Contains("digest 2026-W08: to postmaster@example.net already sent (--force sends it again)", second.Stdout);
        Assert.Contains("outbox: 0 sent, 0 deferred", second.Stdout);

        var forced = await DigestAsync("--force");
        Assert.Contains("digest 2026-W08: to postmaster@example.net queued", forced.Stdout);
        Assert.Contains("outbox: 1 sent, 0 deferred", forced.Stdout);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Deliveries(domain) < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(100, Ct);
        Assert.Equal(2, Deliveries(domain));
    }

    /// <summary>Delivered messages containing <paramref name="marker"/>; Postfix's bounces (which quote the message) are no delivery.</summary>
    private int Deliveries(string marker) =>
        Directory.GetFiles(postfix.OutputFolder).Select(File.ReadAllText)
            .Count(t => t.Contains(marker, StringComparison.Ordinal) && !t.Contains("report-type=delivery-status", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public async Task NoRecipientsIsAUsageError()
    {
        await using var store = await TestStore.CreateAsync();
        var result = await DmarcProcess.RunAsync(_folder.FullName, "digest", "--db", store.DatabasePath, "--no-dns");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("no recipients", result.Stderr);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }
}
