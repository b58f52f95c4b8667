using System.Text;
using DmarcAnalyzer.Auth;
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

    private static async Task<Verdict> DecideAsync(string dmarc, string ip, AuthenticationOptions? checks = null)
    {
        var options = new FilterOptions { Authentication = checks ?? new AuthenticationOptions() };
        var engine = new FilterEngine(() => options, TimeProvider.System, NullLogger<FilterEngine>.Instance,
            new MessageAuthenticator(Dns(dmarc), "mx.example.net"));
        var message = Encoding.ASCII.GetBytes($"From: Joe <joe@{Partner}>\r\nSubject: hi\r\n\r\nbody\r\n");
        var envelope = new MessageEnvelope("Q1", ip, "unknown", "mail.example", $"joe@{Partner}", ["bob@example.net", "carol@Example.net"], null, "smtpd");
        return await engine.DecideAsync(envelope, [("From", $"Joe <joe@{Partner}>"), ("Subject", "hi")], new MemoryStream(message),
            MessageCompleteness.Whole, Ct);
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
        Assert.Equal(new ReportedSpf(Partner, "mfrom", "fail"), facts.Spf);
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
}
