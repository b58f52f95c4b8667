using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Filter.Outgoing;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Auth;
using DmarcAnalyzer.Tests.Cli;
using Microsoft.Extensions.Logging.Abstractions;
using System.Text.RegularExpressions;
using MimeKit;

namespace DmarcAnalyzer.Tests.Filter.Outgoing;

/// <summary>
/// Milter verdicts through the filter harness into the verdict log, then `dmarc send-reports`: dry-run files read back
/// and ingested by `dmarc ingest`, each (domain, day, destination) spooled once, external destinations and size limits.
/// </summary>
public sealed class SendReportsTests : IDisposable
{
    private const string Partner = "football.example.com";
    private const string Rua = $"mailto:dmarc@{Partner},mailto:agg@reports.example.org!10m,mailto:spy@elsewhere.example.net";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("send-reports-");

    private string DatabasePath => Path.Combine(_folder.FullName, "dmarc.db");

    private static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    private static FakeDnsResolver Dns(string rua = Rua) => new FakeDnsResolver()
        .Txt(Partner, "v=spf1 ip4:192.0.2.0/24 -all")
        .Txt($"_dmarc.{Partner}", $"v=DMARC1; p=reject; rua={rua}")
        .Txt($"{Partner}._report._dmarc.reports.example.org", "v=DMARC1")
        .A(Partner);

    /// <summary>Three messages that pass (SPF aligned) and two that fail, let through as enforcement is off.</summary>
    private async Task MilterTrafficAsync(FakeDnsResolver dns)
    {
        await using var filter = new FilterMilterHarness(dns, new FilterOptions(), database: DatabasePath);
        string[] connect = ["j", "mx.example.net", "{daemon_name}", "MTA"];
        foreach (var ip in new[] { "192.0.2.10", "192.0.2.10", "192.0.2.10", "203.0.113.5", "203.0.113.5" })
        {
            var (_, packets) = await filter.SendAsync(connect, "mail.football.example.com", ip, [("From", $"Joe <joe@{Partner}>")], Ct);
            Assert.NotEqual('y', packets[^1].Command);
        }
    }

    private ReportSender Sender(Store db, FakeDnsResolver dns, OutgoingReportSettings? settings = null) =>
        new(db.OutgoingReports, settings ?? OutgoingReports.Settings, new ExternalDestinations(dns),
            new Outbox(db.Outbox, new SmtpSettings("127.0.0.1", 9, SmtpTls.None, "dmarc-reports@receiver.example.net"), TimeProvider.System, NullLogger<Outbox>.Instance),
            TimeProvider.System, NullLogger<ReportSender>.Instance);

    [Fact]
    public async Task DryRunWritesTheReportAndItsMailsWhichIngestReadsBack()
    {
        await MilterTrafficAsync(Dns());
        var config = Path.Combine(_folder.FullName, "dmarc.json");
        await File.WriteAllTextAsync(config, """
            { "Reports": { "Outgoing": { "Enabled": true, "OrgName": "Example Receiver", "Email": "dmarc-reports@receiver.example.net" } } }
            """, Ct);
        var zone = Path.Combine(_folder.FullName, "reports.zone");
        await File.WriteAllTextAsync(zone, $"{Partner}._report._dmarc.reports.example.org. IN TXT \"v=DMARC1\"\n", Ct);
        var output = Directory.CreateDirectory(Path.Combine(_folder.FullName, "out")).FullName;
        string[] args = ["send-reports", "--day", $"{Today:yyyy-MM-dd}", "--dry-run", output, "--db", DatabasePath, "--config", config, "--zone", zone, "--offline"];

        var run = await DmarcProcess.RunAsync(_folder.FullName, args);

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains($"report {Partner} {Today:yyyy-MM-dd} to dmarc@{Partner}: written (5 messages", run.Stdout);
        Assert.Contains($"to agg@reports.example.org: written (5 messages", run.Stdout);
        Assert.Contains("to spy@elsewhere.example.net: not authorised", run.Stdout);
        Assert.Equal("reports: 0 queued, 2 written, 0 already sent, 1 refused, 0 deferred", run.LastLine);
        var gzip = Assert.Single(Directory.GetFiles(output, "*.xml.gz"));
        var begin = new DateTimeOffset(Today.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeSeconds();
        var name = Regex.Match(Path.GetFileName(gzip), $@"^receiver\.example\.net!{Regex.Escape(Partner)}!{begin}!{begin + 86399}!([A-Za-z0-9]+)\.xml\.gz$");
        Assert.True(name.Success, Path.GetFileName(gzip));
        var reportId = name.Groups[1].Value;

        var (header, records) = OutgoingReports.ReadBack(OutgoingReports.Gunzip(await File.ReadAllBytesAsync(gzip, Ct)));
        Assert.Equal((Partner, "reject"), (header.Policy.Domain, header.Policy.P));
        Assert.Equal(2, records.Count);
        var pass = Assert.Single(records, r => r.SourceIp == "192.0.2.10");
        Assert.Equal((3L, "pass", "fail", "pass"), (pass.Count, pass.Disposition, pass.DkimEvaluated, pass.SpfEvaluated));
        Assert.Equal((Partner, Partner, "example.net"), (pass.HeaderFrom, pass.EnvelopeFrom, pass.EnvelopeTo));
        Assert.Equal(("mfrom", "pass"), (pass.Spf[0].Scope, pass.Spf[0].Result));
        var fail = Assert.Single(records, r => r.SourceIp == "203.0.113.5");
        Assert.Equal((2L, "none", "fail", "fail"), (fail.Count, fail.Disposition, fail.DkimEvaluated, fail.SpfEvaluated));
        Assert.Equal("local_policy", Assert.Single(fail.Reasons).Type);

        var mails = Directory.GetFiles(output, "*.eml");
        Assert.Equal(2, mails.Length);
        foreach (var path in mails)
        {
            using var mail = await MimeMessage.LoadAsync(path, Ct);
            // The Subject's Report-ID is the file name's unique-id (RFC 9990: they must be identical).
            Assert.Equal($"Report Domain: {Partner} Submitter: receiver.example.net Report-ID: <{reportId}>", mail.Subject);
            var attachment = Assert.Single(mail.Attachments.OfType<MimePart>());
            Assert.Equal("application/gzip", attachment.ContentType.MimeType);
            Assert.Equal(Path.GetFileName(gzip), attachment.FileName);
            using var content = new MemoryStream();
            await attachment.Content!.DecodeToAsync(content, Ct);
            Assert.Equal(await File.ReadAllBytesAsync(gzip, Ct), content.ToArray());
        }

        // Our own ingest stores the report once, with the same figures, from the file or either mail.
        var ingest = await DmarcProcess.RunAsync(_folder.FullName, "ingest", output, "--db", Path.Combine(_folder.FullName, "ingested.db"));
        Assert.Equal("reports: 1 new, 2 duplicate, 0 failed; records: 2", ingest.LastLine);

        // A dry run marks nothing: a second one writes the same again.
        var again = await DmarcProcess.RunAsync(_folder.FullName, args);
        Assert.Equal("reports: 0 queued, 2 written, 0 already sent, 1 refused, 0 deferred", again.LastLine);
    }

    [Fact]
    public async Task EachDomainDayAndDestinationIsSpooledOnce()
    {
        var dns = Dns();
        await MilterTrafficAsync(dns);
        await using var db = await Store.OpenAsync(DatabasePath, Ct);

        var first = await Sender(db, dns).SendAsync(Today, null, Ct);
        Assert.Equal([SendOutcome.Queued, SendOutcome.Queued, SendOutcome.NotAuthorised], first.Select(r => r.Outcome));
        Assert.Equal(2, await db.Outbox.CountAsync(Ct));
        var spooled = await db.Outbox.DueAsync(DateTimeOffset.UtcNow.AddMinutes(1), 10, Ct);
        Assert.Equal([$"dmarc@{Partner}", "agg@reports.example.org"], spooled.Select(m => Assert.Single(m.Recipients)));

        // A second run (or a restart) the same day sends nothing new.
        var second = await Sender(db, dns).SendAsync(Today, null, Ct);
        Assert.All(second, r => Assert.Equal(SendOutcome.AlreadyHandled, r.Outcome));
        Assert.Equal(2, await db.Outbox.CountAsync(Ct));
    }

    [Fact]
    public async Task EachPolicyDomainGetsItsOwnReport()
    {
        var dns = Dns($"mailto:dmarc@{Partner}").Txt("_dmarc.second.example", "v=DMARC1; p=none; rua=mailto:dmarc@second.example");
        await MilterTrafficAsync(dns);
        await using (var filter = new FilterMilterHarness(dns, new FilterOptions(), database: DatabasePath))
            await filter.SendAsync(["j", "mx.example.net"], "mail.football.example.com", "192.0.2.10", [("From", "Ann <ann@second.example>")], Ct);
        await using var db = await Store.OpenAsync(DatabasePath, Ct);

        var results = await Sender(db, dns).SendAsync(Today, null, Ct);
        Assert.Equal([(Partner, 5L), ("second.example", 1L)], results.Select(r => (r.Domain, r.Messages)));
        Assert.All(results, r => Assert.Equal(SendOutcome.Queued, r.Outcome));
        Assert.Equal(2, await db.Outbox.CountAsync(Ct));
    }

    [Fact]
    public async Task AReportLargerThanTheDestinationTakesIsNotSent()
    {
        var dns = Dns($"mailto:dmarc@{Partner}!100");
        await MilterTrafficAsync(dns);
        await using var db = await Store.OpenAsync(DatabasePath, Ct);

        var result = Assert.Single(await Sender(db, dns).SendAsync(Today, null, Ct));
        Assert.Equal(SendOutcome.TooLarge, result.Outcome);
        Assert.Contains("at most 100", result.Detail);
        Assert.Equal(0, await db.Outbox.CountAsync(Ct));
        Assert.Equal(SendOutcome.AlreadyHandled, Assert.Single(await Sender(db, dns).SendAsync(Today, null, Ct)).Outcome);
    }

    [Fact]
    public async Task ADnsFailureDefersTheExternalDestinationToTheNextRun()
    {
        var dns = Dns("mailto:agg@broken.example.net").Failing($"{Partner}._report._dmarc.broken.example.net");
        await MilterTrafficAsync(dns);
        await using var db = await Store.OpenAsync(DatabasePath, Ct);

        Assert.Equal(SendOutcome.Deferred, Assert.Single(await Sender(db, dns).SendAsync(Today, null, Ct)).Outcome);
        Assert.Equal(SendOutcome.Deferred, Assert.Single(await Sender(db, dns).SendAsync(Today, null, Ct)).Outcome);
    }

    [Fact]
    public async Task ADeferredDestinationIsRetriedOnTheFollowingDaysAndSentOnce()
    {
        var broken = Dns("mailto:agg@broken.example.net").Failing($"{Partner}._report._dmarc.broken.example.net");
        await MilterTrafficAsync(broken);
        await using var db = await Store.OpenAsync(DatabasePath, Ct);

        Assert.Equal(SendOutcome.Deferred, Assert.Single(await Sender(db, broken).SendAsync(Today, null, Ct)).Outcome);
        // The next days' runs find the day again ...
        Assert.Equal([Today], await Sender(db, broken).DeferredDaysBeforeAsync(Today.AddDays(1), Ct));
        Assert.Equal([Today], await Sender(db, broken).DeferredDaysBeforeAsync(Today.AddDays(ReportSender.RetryDays), Ct));
        Assert.Empty(await Sender(db, broken).DeferredDaysBeforeAsync(Today.AddDays(ReportSender.RetryDays + 1), Ct));

        // ... and once the authorisation can be read, the report goes once.
        var mended = Dns("mailto:agg@broken.example.net").Txt($"{Partner}._report._dmarc.broken.example.net", "v=DMARC1");
        Assert.Equal(SendOutcome.Queued, Assert.Single(await Sender(db, mended).SendAsync(Today, null, Ct)).Outcome);
        Assert.Equal(SendOutcome.AlreadyHandled, Assert.Single(await Sender(db, mended).SendAsync(Today, null, Ct)).Outcome);
        Assert.Equal(1, await db.Outbox.CountAsync(Ct));
        Assert.Empty(await Sender(db, mended).DeferredDaysBeforeAsync(Today.AddDays(1), Ct));
    }

    [Fact]
    public async Task TheAuthorisationRecordsRuaReplacesTheDestination()
    {
        var dns = Dns("mailto:agg@reports.example.org")
            .Txt($"{Partner}._report._dmarc.reports.example.org", "v=DMARC1; rua=mailto:football@reports.example.org");
        await MilterTrafficAsync(dns);
        await using var db = await Store.OpenAsync(DatabasePath, Ct);

        var result = Assert.Single(await Sender(db, dns).SendAsync(Today, null, Ct));
        Assert.Equal((SendOutcome.Queued, "agg@reports.example.org"), (result.Outcome, result.Destination));
        Assert.Contains("football@reports.example.org", result.Detail);
        var spooled = Assert.Single(await db.Outbox.DueAsync(DateTimeOffset.UtcNow.AddMinutes(1), 10, Ct));
        Assert.Equal(["football@reports.example.org"], spooled.Recipients);
    }

    [Fact]
    public async Task ADayNotOverIsSentOnlyAsADryRun()
    {
        await MilterTrafficAsync(Dns());
        var config = Path.Combine(_folder.FullName, "dmarc.json");
        await File.WriteAllTextAsync(config, """
            { "Reports": { "Outgoing": { "Enabled": true, "OrgName": "Example Receiver", "Email": "dmarc-reports@receiver.example.net" } },
              "Smtp": { "Host": "127.0.0.1", "Port": 9, "Tls": "none", "From": "dmarc-reports@receiver.example.net" } }
            """, Ct);

        var run = await DmarcProcess.RunAsync(_folder.FullName, "send-reports", "--day", $"{Today:yyyy-MM-dd}", "--db", DatabasePath, "--config", config, "--offline");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--day: {Today:yyyy-MM-dd} is not over yet (UTC)", run.Stderr);
        await using var db = await Store.OpenAsync(DatabasePath, Ct);
        Assert.Equal(0, await db.Outbox.CountAsync(Ct));
    }

    [Theory]
    [InlineData("""{ "Reports": { "Outgoing": { "Enabled": true, "OrgName": "Example Receiver", "Email": "dmarc-reports@receiver.example.net" } } }""",
        "configuration: Smtp:Host is not configured")]
    [InlineData("""{ "Reports": { "Outgoing": { "Enabled": true, "Email": "dmarc-reports@receiver.example.net" } } }""",
        "configuration: Reports:Outgoing:OrgName is not configured")]
    [InlineData("""{ "Reports": { "Outgoing": { "Enabled": true, "OrgName": "Example Receiver", "Email": "nobody" } } }""",
        "configuration: Reports:Outgoing:Email must be an address")]
    public async Task BadConfigurationIsAClearUsageError(string json, string error)
    {
        var config = Path.Combine(_folder.FullName, "dmarc.json");
        await File.WriteAllTextAsync(config, json, Ct);

        var run = await DmarcProcess.RunAsync(_folder.FullName, "send-reports", "--db", DatabasePath, "--config", config, "--offline");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"dmarc: {error}", run.Stderr);
        Assert.DoesNotContain("Exception", run.Stderr);
    }

    [Theory]
    [InlineData("Exclude")]
    [InlineData("OwnDomains")]
    public async Task ExcludedAndOwnDomainsGetNothing(string list)
    {
        var dns = Dns();
        await MilterTrafficAsync(dns);
        await using var db = await Store.OpenAsync(DatabasePath, Ct);
        var settings = list == "Exclude" ? OutgoingReports.Settings with { Exclude = ["example.com"] } : OutgoingReports.Settings with { OwnDomains = [Partner] };

        Assert.Empty(await Sender(db, dns, settings).SendAsync(Today, null, Ct));
        Assert.Equal(0, await db.Outbox.CountAsync(Ct));
    }

    [Fact]
    public async Task ADomainWithoutRuaLeavesNothingToReport()
    {
        var dns = new FakeDnsResolver()
            .Txt(Partner, "v=spf1 ip4:192.0.2.0/24 -all")
            .Txt($"_dmarc.{Partner}", "v=DMARC1; p=none")
            .A(Partner);
        await MilterTrafficAsync(dns);
        await using var db = await Store.OpenAsync(DatabasePath, Ct);

        Assert.Empty(await Sender(db, dns).SendAsync(Today, null, Ct));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }
}
