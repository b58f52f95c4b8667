using System.Text;
using DmarcAnalyzer.Filter.Outgoing;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Auth;
using DmarcAnalyzer.Imap;
using DmarcAnalyzer.Tests.Dns;
using DmarcAnalyzer.Tests.Imap;
using DmarcAnalyzer.Tests.Milter;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace DmarcAnalyzer.Tests.Filter.Outgoing;

/// <summary>The authenticating Postfix with a domain whose DMARC record asks for aggregate reports.</summary>
public sealed class ReportingPostfixFixture : AuthenticatingPostfixFixture
{
    public const string Reporting = "reporting.example";

    private protected override void AddRecords(TestZone zone) => zone
        .Txt(Reporting, "v=spf1 ip4:127.0.0.1 -all")
        .Txt($"_dmarc.{Reporting}", $"v=DMARC1; p=quarantine; rua=mailto:dmarc@{Reporting}");
}

/// <summary>
/// A day of milter traffic through the real Postfix becomes a report, sent through Postfix's submission port by the
/// outbox, delivered, put in a Dovecot mailbox and stored by `dmarc poll` with the same figures; a second run sends nothing.
/// </summary>
public sealed class ReportingPostfixTests(ReportingPostfixFixture postfix, DovecotServer dovecot)
    : IClassFixture<ReportingPostfixFixture>, IClassFixture<DovecotServer>, IDisposable
{
    private const string Domain = ReportingPostfixFixture.Reporting;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("reporting-postfix-");

    private static byte[] Message(string marker) => Encoding.ASCII.GetBytes(
        $"From: Joe <joe@{Domain}>\r\nTo: bob@example.net\r\nSubject: traffic {marker}\r\nMessage-ID: <{marker}@{Domain}>\r\n\r\nbody\r\n");

    [Fact]
    public async Task MilterTrafficBecomesAReportDeliveredOnceAndIngested()
    {
        // Two messages pass (SPF aligned), one fails: its envelope sender is another domain; enforcement is off.
        string[] senders = [$"joe1@{Domain}", $"joe2@{Domain}", "bounce@other.example"];
        foreach (var from in senders)
            Assert.StartsWith("250", await SmtpTestClient.SendAsync(postfix.SmtpPort, from, "bob@example.net", Message(Guid.NewGuid().ToString("N")), Ct));
        foreach (var from in senders)
            await postfix.WaitForVerdictAsync(from, Ct);

        var passwordFile = Path.Combine(_folder.FullName, "password");
        await File.WriteAllTextAsync(passwordFile, PostfixFixture.Password + "\n", Ct);
        var smtp = new SmtpSettings("127.0.0.1", postfix.SubmissionPort, SmtpTls.None, "dmarc-reports@receiver.example.net", PostfixFixture.User, passwordFile);
        await using var db = await Store.OpenAsync(postfix.DatabasePath, Ct);
        var outbox = new Outbox(db.Outbox, smtp, TimeProvider.System, NullLogger<Outbox>.Instance);
        var reports = new ReportSender(db.OutgoingReports, OutgoingReports.Settings, new ExternalDestinations(new FakeDnsResolver()), outbox,
            TimeProvider.System, NullLogger<ReportSender>.Instance);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);

        var sent = Assert.Single(await reports.SendAsync(today, null, Ct));
        Assert.Equal((SendOutcome.Queued, $"dmarc@{Domain}", 3L), (sent.Outcome, sent.Destination, sent.Messages));
        Assert.Equal(new OutboxFlush(1, 0), await outbox.FlushAsync(Ct));
        var delivered = await postfix.WaitForDeliveryAsync($"Report-ID: <{today:yyyyMMdd}", Ct);

        using var mail = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(delivered)), Ct);
        var attachment = Assert.Single(mail.Attachments.OfType<MimePart>());
        using var gzip = new MemoryStream();
        await attachment.Content!.DecodeToAsync(gzip, Ct);
        var xml = OutgoingReports.Gunzip(gzip.ToArray());
        var (header, records) = OutgoingReports.ReadBack(xml);
        Assert.Equal((Domain, "quarantine"), (header.Policy.Domain, header.Policy.P));
        Assert.Equal(3, records.Sum(r => r.Count));
        var pass = Assert.Single(records, r => r.Disposition == "pass");
        Assert.Equal((2L, "127.0.0.1", "pass"), (pass.Count, pass.SourceIp, pass.SpfEvaluated));
        var fail = Assert.Single(records, r => r.Disposition == "none");
        Assert.Equal((1L, "other.example", "local_policy"), (fail.Count, fail.EnvelopeFrom, Assert.Single(fail.Reasons).Type));

        // The day's report as delivered passes the schema and is read alike by dmarc-cat and Mail::DMARC.
        var xmlPath = Path.Combine(_folder.FullName, "report.xml");
        await File.WriteAllBytesAsync(xmlPath, xml, Ct);
        await IndependentParsers.AssertValidAsync(xmlPath);
        var gzipPath = Path.Combine(_folder.FullName, Assert.IsType<string>(attachment.FileName));
        await File.WriteAllBytesAsync(gzipPath, gzip.ToArray(), Ct);
        var (catRows, catTotal, _) = await IndependentParsers.DmarcCatAsync(gzipPath);
        Assert.Equal((2, 3L), (catRows, catTotal));
        Assert.Equal($"rows=2 total=3 domain={Domain} org=Example Receiver", await IndependentParsers.MailDmarcAsync(xmlPath, _folder.FullName));

        // The round trip: the delivered mail in a report mailbox, collected by `dmarc poll`.
        var user = dovecot.NewUser();
        using (var client = await dovecot.LoginAsync(user))
            await PollerDovecotTests.AppendAsync(client, Encoding.UTF8.GetBytes(delivered));
        var dovecotPassword = Path.Combine(_folder.FullName, "imap-password");
        await File.WriteAllTextAsync(dovecotPassword, dovecot.Password + "\n", Ct);
        var (exit, stdout, stderr) = await PollerDovecotTests.RunDmarcAsync(_folder.FullName, [
            "poll", "--once", "--host", dovecot.Host,
            "--port", dovecot.Endpoint(ImapTls.Implicit).Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tls", "implicit", "--ca-file", dovecot.CaPath, "--user", user, "--password-file", dovecotPassword,
            "--db", Path.Combine(_folder.FullName, "polled.db"),
        ]);
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        Assert.Equal("reports: 1 new, 0 duplicate, 0 failed; records: 2", stdout.Trim());

        // The next run, or a restart, the same day: nothing new is sent.
        Assert.Equal(SendOutcome.AlreadyHandled, Assert.Single(await reports.SendAsync(today, null, Ct)).Outcome);
        Assert.Equal(new OutboxFlush(0, 0), await outbox.FlushAsync(Ct));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }
}
