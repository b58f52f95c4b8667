using System.Text;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Filter.Outgoing;
using DmarcAnalyzer.Tests.Auth;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Filter.Outgoing;

/// <summary>What the engine records of a message for the aggregate report: the disposition it applied and why it differs.</summary>
public sealed class ReportedFactsTests
{
    private const string Partner = "football.example.com";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static FakeDnsResolver Dns(string dmarc) => new FakeDnsResolver()
        .Txt(Partner, "v=spf1 ip4:192.0.2.0/24 -all")
        .Txt($"_dmarc.{Partner}", dmarc)
        .A(Partner);

    private static async Task<Verdict> DecideAsync(string dmarc, string ip, AuthenticationOptions? checks = null, byte[]? message = null)
    {
        var options = new FilterOptions { Authentication = checks ?? new AuthenticationOptions() };
        var engine = new FilterEngine(() => options, TimeProvider.System, NullLogger<FilterEngine>.Instance,
            new MessageAuthenticator(Dns(dmarc), "mx.example.net"));
        message ??= Encoding.ASCII.GetBytes($"From: Joe <joe@{Partner}>\r\nSubject: hi\r\n\r\nbody\r\n");
        var envelope = new MessageEnvelope("Q1", ip, "unknown", "mail.example", $"joe@{Partner}", ["bob@example.net", "carol@Example.net"], null, "smtpd");
        return await engine.DecideAsync(envelope, TestMessages.Headers(message), new MemoryStream(message), MessageCompleteness.Whole, Ct);
    }

    private const string Reject = $"v=DMARC1; p=reject; rua=mailto:dmarc@{Partner}!10m";

    [Fact]
    public async Task AnEnforcedRejectIsReportedAsRejectWithoutReason()
    {
        var verdict = await DecideAsync(Reject, "203.0.113.5", new AuthenticationOptions { EnforceDmarc = true });
        Assert.Equal(VerdictAction.Reject, verdict.Action);
        var facts = verdict.Reported!;
        Assert.Equal(("reject", false, false), (facts.Disposition, facts.DkimAligned, facts.SpfAligned));
        Assert.Empty(facts.Reasons);
        Assert.Equal((Partner, "reject", $"mailto:dmarc@{Partner}!10m"), (facts.Policy.Domain, facts.Policy.P, facts.Policy.Rua));
        Assert.Equal(("203.0.113.5", Partner, Partner, "example.net"), (facts.SourceIp, facts.HeaderFrom, facts.EnvelopeFrom, facts.EnvelopeTo));
        Assert.Equal((Partner, "mfrom", "fail"), (facts.Spf!.Domain, facts.Spf.Scope, facts.Spf.Result));
        Assert.Equal("203.0.113.5 matched -all", facts.Spf.HumanResult);
    }

    [Fact]
    public async Task TestingModeIsAPolicyTestModeOverride()
    {
        var verdict = await DecideAsync($"v=DMARC1; p=reject; t=y; rua=mailto:dmarc@{Partner}", "203.0.113.5", new AuthenticationOptions { EnforceDmarc = true });
        var facts = verdict.Reported!;
        Assert.Equal("quarantine", facts.Disposition);
        Assert.True(facts.Policy.Testing);
        Assert.Equal(OverrideType.PolicyTestMode, Assert.Single(facts.Reasons).Type);
    }

    [Fact]
    public async Task TheNeverRejectListIsALocalPolicyOverride()
    {
        var verdict = await DecideAsync(Reject, "203.0.113.5", new AuthenticationOptions { EnforceDmarc = true, NeverReject = ["203.0.113.5"] });
        var facts = verdict.Reported!;
        Assert.Equal("none", facts.Disposition);
        Assert.Equal(new OverrideReason(OverrideType.LocalPolicy, "sender on the never-reject list"), Assert.Single(facts.Reasons));
    }

    [Fact]
    public async Task EnforcementOffIsALocalPolicyOverride()
    {
        var facts = (await DecideAsync(Reject, "203.0.113.5")).Reported!;
        Assert.Equal("none", facts.Disposition);
        Assert.Equal(new OverrideReason(OverrideType.LocalPolicy, "DMARC policy not enforced by this receiver"), Assert.Single(facts.Reasons));
    }

    [Theory]
    [InlineData("reject", "pass")]
    [InlineData("none", "none")]
    public async Task APassingMessageIsPassUnderAnEnforcingPolicy(string policy, string disposition)
    {
        var facts = (await DecideAsync($"v=DMARC1; p={policy}; rua=mailto:dmarc@{Partner}", "192.0.2.10")).Reported!;
        Assert.Equal((disposition, true), (facts.Disposition, facts.SpfAligned));
        Assert.Empty(facts.Reasons);
    }

    [Fact]
    public async Task APolicyWithoutRuaRecordsNothing() =>
        Assert.Null((await DecideAsync("v=DMARC1; p=reject", "203.0.113.5")).Reported);

    [Fact]
    public async Task TheFactsSurviveTheVerdictLogsJson()
    {
        var facts = (await DecideAsync(Reject, "203.0.113.5")).Reported!;
        var back = ReportedMessage.FromJson(facts.ToJson());
        Assert.Equal(facts.ToJson(), back.ToJson());
        Assert.Equal(facts.Reasons, back.Reasons);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnotherRulesDispositionIsReportedWithoutTheMessagesDetails(bool enforced)
    {
        // p=none, and the encrypted-archive rule rejects: the report says another rule did it, not which file it found.
        var message = TestMessages.Multipart($"Joe <joe@{Partner}>",
            TestMessages.Attachment("payroll-2026.zip", TestMessages.EncryptedZip("salaries.xlsx"), "application/zip"));
        var verdict = await DecideAsync($"v=DMARC1; p=none; rua=mailto:dmarc@{Partner}", "203.0.113.5",
            new AuthenticationOptions { EnforceDmarc = enforced }, message);
        Assert.Equal(VerdictAction.Reject, verdict.Action);
        Assert.Contains("payroll-2026.zip", verdict.Reason);
        var facts = verdict.Reported!;
        Assert.Equal("reject", facts.Disposition);
        Assert.Equal(new OverrideReason(OverrideType.LocalPolicy, "rejected by another rule of this receiver"), Assert.Single(facts.Reasons));
        Assert.DoesNotContain("payroll", facts.ToJson());
        Assert.DoesNotContain("salaries", facts.ToJson());
    }

    [Fact]
    public void DkimResultsComeInTheRfcsOrderAndAtMostAHundred()
    {
        var record = DmarcRecord.Parse("v=DMARC1; p=reject; fo=1 : d; rua=mailto:dmarc@example.com");
        var dmarc = new DmarcResult(DmarcResultCode.Pass, "mail.example.com", "example.com", DmarcPolicy.Reject, "p", DmarcPolicy.None,
            "example.com", DkimAligned: true) { Record = record };
        List<DkimResult> dkim =
        [
            new(DkimResultCode.Fail, "mail.example.com", "old", null, "body hash did not verify"),
            new(DkimResultCode.Pass, "esp.example.net", "s1", null, null),
            new(DkimResultCode.Pass, "example.com", "relaxed", null, null),
            new(DkimResultCode.None, "", "", null, "no signature"),
            .. Enumerable.Range(0, 120).Select(i => new DkimResult(DkimResultCode.PermError, $"d{i}.example.org", "s", null, $"no key record at s._domainkey.d{i}.example.org")),
            new(DkimResultCode.Pass, "MAIL.example.com", "strict", null, null),
        ];
        var spf = new SpfOutcome(SpfResultCode.SoftFail, "bounce.example.net", Comment: "192.0.2.1 matched ~all");
        var envelope = new MessageEnvelope("Q1", "192.0.2.1", "unknown", "mail.example", "x@bounce.example.net", ["bob@example.net"], null, "smtpd");

        var facts = ReportedMessage.Of(envelope, new MessageAuthentication(spf, dkim, dmarc), "none", [])!;

        Assert.Equal(100, facts.Dkim.Count);
        Assert.Equal(["strict/pass", "relaxed/pass", "s1/pass", "old/fail", "s/permerror"], facts.Dkim.Take(5).Select(d => $"{d.Selector}/{d.Result}"));
        Assert.Equal([null, null, null, "body hash did not verify"], facts.Dkim.Take(4).Select(d => d.HumanResult));
        Assert.Equal(new ReportedSpf("bounce.example.net", "mfrom", "softfail", "192.0.2.1 matched ~all"), facts.Spf);
        Assert.Equal(("pass", "1:d"), (facts.Disposition, facts.Policy.Fo));
    }

    [Theory]
    [InlineData("::ffff:203.0.113.5", "203.0.113.5")]
    [InlineData("IPv6:2001:DB8::25", "2001:db8::25")]
    [InlineData("203.0.113.5", "203.0.113.5")]
    public async Task TheSourceAddressIsWrittenPlainly(string client, string sourceIp) =>
        Assert.Equal(sourceIp, (await DecideAsync(Reject, client)).Reported!.SourceIp);

    [Fact]
    public async Task ALocalSocketIsNoSourceToReport() =>
        Assert.Null((await DecideAsync(Reject, "/var/spool/postfix/public/pickup")).Reported);
}
