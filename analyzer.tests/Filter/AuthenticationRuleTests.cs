using DmarcAnalyzer.Dns;
using System.Text;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Milter;
using DmarcAnalyzer.Tests.Auth;
using DmarcAnalyzer.Tests.Auth.Dkim;
using Microsoft.Extensions.Logging.Abstractions;
using DmarcAnalyzer.Auth;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>The engine's SPF, DKIM and DMARC rules, DNS from an in-memory resolver, messages signed here.</summary>
public sealed class AuthenticationRuleTests
{
    private const string AuthservId = "mx.example.net";
    private const string Partner = "football.example.com";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MessageEnvelope Envelope(string sender = "joe@football.example.com", string ip = "192.0.2.10", string? auth = null) =>
        new("Q1", ip, "unknown", "mx.football.example.com", sender, ["bob@example.net"], auth, "smtpd");

    /// <summary>The partner's DNS: SPF for 192.0.2.0/24, the Ed25519 key, and a DMARC record.</summary>
    private static FakeDnsResolver Dns(string dmarc = "v=DMARC1; p=reject", string? spf = "v=spf1 ip4:192.0.2.0/24 -all")
    {
        using var key = DkimTestMessages.Key(DkimSignature.Ed25519Sha256);
        var dns = new FakeDnsResolver()
            .Txt($"sel._domainkey.{Partner}", key.PublicKeyRecord())
            .Txt($"_dmarc.{Partner}", dmarc)
            .A(Partner);
        return spf is null ? dns : dns.Txt(Partner, spf);
    }

    private static byte[] Unsigned(params TestMessages.Part[] parts) => TestMessages.Multipart($"Joe <joe@{Partner}>", parts);

    private static async Task<byte[]> SignedAsync(params TestMessages.Part[] parts)
    {
        var text = Encoding.Latin1.GetString(Unsigned(parts));
        return Encoding.Latin1.GetBytes(await DkimTestMessages.SignAsync(text, DkimSignature.Ed25519Sha256));
    }

    private static TestMessages.Part Pdf => TestMessages.Attachment("report.pdf", TestMessages.Pdf(""), "application/pdf");

    /// <summary>Decides the message; <paramref name="truncated"/> hands over only its first 200 bytes, as the spool does past its size cap.</summary>
    private static async Task<Verdict> DecideAsync(IDnsResolver dns, byte[] message, FilterOptions? options = null, MessageEnvelope? envelope = null,
        IReadOnlyList<(string Name, string Value)>? extraHeaders = null, bool truncated = false)
    {
        var engine = new FilterEngine(() => options ?? new FilterOptions(), TimeProvider.System, NullLogger<FilterEngine>.Instance,
            new MessageAuthenticator(dns, AuthservId));
        if (extraHeaders is not null)
        {
            var prefix = string.Concat(extraHeaders.Select(h => $"{h.Name}: {h.Value}\r\n"));
            message = [.. Encoding.Latin1.GetBytes(prefix), .. message];
        }
        var kept = truncated ? message[..200] : message;
        return await engine.DecideAsync(envelope ?? Envelope(), Headers(message), new MemoryStream(kept),
            truncated ? MessageCompleteness.Truncated : MessageCompleteness.Whole, Ct);
    }

    /// <summary>Top-level fields as the MTA sends them: unfolded names, values with their continuation lines.</summary>
    private static List<(string Name, string Value)> Headers(byte[] message)
    {
        var text = Encoding.Latin1.GetString(message);
        var fields = new List<(string Name, string Value)>();
        foreach (var line in text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n"))
        {
            if (line.StartsWith(' ') || line.StartsWith('\t'))
                fields[^1] = (fields[^1].Name, fields[^1].Value + "\r\n" + line);
            else
                fields.Add((line[..line.IndexOf(':')], line[(line.IndexOf(':') + 1)..].TrimStart()));
        }
        return fields;
    }

    private static string OurField(Verdict verdict) =>
        Assert.Single(verdict.HeaderEdits, e => e is { Name: "Authentication-Results", OnTop: true }).Value!;

    [Fact]
    public async Task A_signed_message_from_an_authorised_address_passes_and_gets_our_field_on_top()
    {
        var verdict = await DecideAsync(Dns(), await SignedAsync());
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Equal(("pass", "pass", "pass"), (verdict.Spf, verdict.Dkim, verdict.Dmarc));
        var field = OurField(verdict);
        Assert.StartsWith($"{AuthservId};\r\n\tspf=pass", field);
        Assert.Contains($"dkim=pass header.d={Partner} header.s=sel", field);
        Assert.Contains($"dmarc=pass (p=reject dis=none) header.from={Partner}", field);
        var decision = FilterMilterHandler.ToDecision(verdict);
        var insert = Assert.IsType<MilterModification.InsertHeader>(Assert.Single(decision.Modifications));
        Assert.Equal(0u, insert.Index);
        Assert.DoesNotContain('\r', insert.Value);
    }

    [Fact]
    public async Task Fields_claiming_our_authserv_id_are_deleted_before_ours_is_added_and_others_are_kept()
    {
        var verdict = await DecideAsync(Dns(), await SignedAsync(), extraHeaders:
        [
            ("Authentication-Results", $"{AuthservId}; dmarc=pass header.from={Partner}"),
            ("Authentication-Results", "mx.elsewhere.example; spf=pass smtp.mailfrom=x@elsewhere.example"),
            ("Authentication-Results", $"{AuthservId.ToUpperInvariant()}; dkim=pass header.d={Partner}"),
        ]);
        var edits = verdict.HeaderEdits.Where(e => e.Name == "Authentication-Results").ToList();
        Assert.Equal([(null, 3u, false), (null, 1u, false)], edits.Take(2).Select(e => (e.Value, e.Index, e.OnTop)));
        Assert.True(edits[2].OnTop);
        Assert.Equal(3, edits.Count);
    }

    [Fact]
    public async Task A_dmarc_failure_with_attachments_has_them_removed_by_default()
    {
        var verdict = await DecideAsync(Dns(), Unsigned(Pdf), envelope: Envelope(ip: "198.51.100.9"));
        Assert.Equal(VerdictAction.RemoveAttachments, verdict.Action);
        Assert.Equal(("fail", "none", "fail"), (verdict.Spf, verdict.Dkim, verdict.Dmarc));
        Assert.Contains($"forged sender: DMARC fail for {Partner}", verdict.Reason);
        Assert.Contains("dmarc=fail", OurField(verdict));
        Assert.Equal(["report.pdf"], verdict.RemovedAttachments);
    }

    [Fact]
    public async Task A_signed_message_from_elsewhere_keeps_its_attachments()
    {
        var verdict = await DecideAsync(Dns(), await SignedAsync(Pdf), envelope: Envelope(ip: "198.51.100.9"));
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Equal(("fail", "pass", "pass"), (verdict.Spf, verdict.Dkim, verdict.Dmarc));
    }

    [Theory]
    [InlineData("DmarcFail", "Accept")]
    [InlineData("SpfFail", "RemoveAttachments")]
    [InlineData("Either", "RemoveAttachments")]
    public async Task Spf_fail_counts_as_forged_when_configured(string when, string action)
    {
        var expected = Enum.Parse<VerdictAction>(action);
        var options = new FilterOptions { Authentication = new AuthenticationOptions { ForgedWhen = Enum.Parse<ForgedWhen>(when) } };
        // DKIM passes aligned, so DMARC passes; only SPF fails.
        var verdict = await DecideAsync(Dns(), await SignedAsync(Pdf), options, Envelope(ip: "198.51.100.9"));
        Assert.Equal(expected, verdict.Action);
    }

    [Fact]
    public async Task Dmarc_policy_is_not_enforced_by_default()
    {
        var verdict = await DecideAsync(Dns(), Unsigned(), envelope: Envelope(ip: "198.51.100.9"));
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Equal("fail", verdict.Dmarc);
    }

    [Theory]
    [InlineData("v=DMARC1; p=reject", "Reject")]
    [InlineData("v=DMARC1; p=reject; pct=100", "Reject")]
    [InlineData("v=DMARC1; p=reject; t=y", "Quarantine")]
    [InlineData("v=DMARC1; p=reject; pct=0", "Quarantine")]
    [InlineData("v=DMARC1; p=quarantine", "Quarantine")]
    [InlineData("v=DMARC1; p=quarantine; t=y", "Accept")]
    [InlineData("v=DMARC1; p=none", "Accept")]
    public async Task Enforcement_follows_the_policy_and_its_testing_mode(string record, string action)
    {
        var expected = Enum.Parse<VerdictAction>(action);
        var options = new FilterOptions { Authentication = new AuthenticationOptions { EnforceDmarc = true } };
        var verdict = await DecideAsync(Dns(record), Unsigned(), options, Envelope(ip: "198.51.100.9"));
        Assert.Equal(expected, verdict.Action);
        if (expected == VerdictAction.Reject)
        {
            var reply = Assert.IsType<MilterReply.Custom>(FilterMilterHandler.ToDecision(verdict).Reply);
            Assert.Equal(550, reply.Code);
            Assert.StartsWith("5.7.1 ", reply.Text);
        }
        if (expected == VerdictAction.Quarantine)
            Assert.Contains(FilterMilterHandler.ToDecision(verdict).Modifications, m => m is MilterModification.Quarantine);
    }

    [Fact]
    public async Task An_old_pct_is_not_sampled_the_policy_applies_to_every_failing_message()
    {
        var options = new FilterOptions { Authentication = new AuthenticationOptions { EnforceDmarc = true } };
        // RFC 7489 sampling would quarantine about 99 of 100 of these; RFC 9989 has no pct, so each one is rejected.
        for (var i = 0; i < 20; i++)
        {
            var verdict = await DecideAsync(Dns("v=DMARC1; p=reject; pct=1"), Unsigned(), options, Envelope(ip: "198.51.100.9"));
            Assert.Equal(VerdictAction.Reject, verdict.Action);
            Assert.Contains("pct=1 ignored", verdict.Reason);
            Assert.Contains("(p=reject dis=reject) (pct=1 ignored", OurField(verdict));
        }
    }

    [Fact]
    public async Task An_old_pct_zero_is_testing_mode_in_the_reason_and_the_field()
    {
        var options = new FilterOptions { Authentication = new AuthenticationOptions { EnforceDmarc = true } };
        var verdict = await DecideAsync(Dns("v=DMARC1; p=reject; pct=0"), Unsigned(), options, Envelope(ip: "198.51.100.9"));
        Assert.Equal(VerdictAction.Quarantine, verdict.Action);
        Assert.Contains("testing mode, quarantine applied (pct=0 read as t=y", verdict.Reason);
        Assert.Contains("(p=reject dis=quarantine t=y) (pct=0 read as t=y", OurField(verdict));
    }

    [Fact]
    public async Task With_enforcement_off_the_field_says_the_failing_message_was_delivered()
    {
        var verdict = await DecideAsync(Dns("v=DMARC1; p=reject"), Unsigned(), new FilterOptions(), Envelope(ip: "198.51.100.9"));
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Contains("dmarc=fail (p=reject dis=none)", OurField(verdict));
    }

    [Fact]
    public async Task A_sender_on_the_never_reject_list_gets_dis_none_in_the_field()
    {
        var options = new FilterOptions { Authentication = new AuthenticationOptions { EnforceDmarc = true, NeverReject = ["198.51.100.9"] } };
        var verdict = await DecideAsync(Dns("v=DMARC1; p=reject"), Unsigned(), options, Envelope(ip: "198.51.100.9"));
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Contains("dmarc=fail (p=reject dis=none)", OurField(verdict));
    }

    [Theory]
    [InlineData("198.51.100.0/24")]
    [InlineData("198.51.100.77/24")]
    [InlineData("198.51.100.9")]
    [InlineData("lists.example.org")]
    [InlineData(".example.org")]
    public async Task Senders_on_the_never_reject_list_are_not_rejected(string entry)
    {
        var options = new FilterOptions { Authentication = new AuthenticationOptions { EnforceDmarc = true, NeverReject = [entry] } };
        var dns = Dns().Txt("lists.example.org", "v=spf1 ip4:198.51.100.0/24 -all");
        var verdict = await DecideAsync(dns, Unsigned(), options, Envelope("bounces@lists.example.org", "198.51.100.9"));
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Equal("fail", verdict.Dmarc);
    }

    [Fact]
    public async Task A_domain_on_the_never_reject_list_must_be_proven()
    {
        var options = new FilterOptions { Authentication = new AuthenticationOptions { EnforceDmarc = true, NeverReject = ["lists.example.org"] } };
        // The envelope names the list, but SPF does not pass for it: the claim is not believed.
        var verdict = await DecideAsync(Dns(), Unsigned(), options, Envelope("bounces@lists.example.org", "198.51.100.9"));
        Assert.Equal(VerdictAction.Reject, verdict.Action);
    }

    [Theory]
    [InlineData(null, "Postfix 3.7.11", "Accept")]
    [InlineData(null, "8.17.1", "Reject")]
    [InlineData(null, null, "Reject")]
    [InlineData("OK", "8.17.1", "Accept")]
    [InlineData("OK", null, "Accept")]
    [InlineData("FORGED", "8.17.1", "Reject")]
    [InlineData("FAIL", "8.17.1", "Reject")]
    [InlineData("TEMP", "8.17.1", "Reject")]
    public async Task A_client_name_counts_for_the_never_reject_list_only_when_the_MTA_confirmed_it(string? resolve, string? mta, string action)
    {
        // Without {client_resolve} a Postfix client name is confirmed or "unknown". Sendmail passes the PTR name
        // whatever the forward lookup said, and says so in {client_resolve}, unless it ignored our macro request.
        var options = new FilterOptions { Authentication = new AuthenticationOptions { EnforceDmarc = true, NeverReject = [".lists.example.org"] } };
        var envelope = Envelope(ip: "198.51.100.9") with { ClientName = "relay.lists.example.org", ClientResolve = resolve, MtaVersion = mta };
        var verdict = await DecideAsync(Dns(), Unsigned(), options, envelope);
        Assert.Equal(Enum.Parse<VerdictAction>(action), verdict.Action);
    }

    [Fact]
    public async Task Dns_trouble_is_accepted_with_temperror_by_default()
    {
        var verdict = await DecideAsync(Dns().Failing($"_dmarc.{Partner}"), await SignedAsync());
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Equal("temperror", verdict.Dmarc);
        Assert.Contains("dmarc=temperror", OurField(verdict));
    }

    [Fact]
    public async Task Dns_trouble_tempfails_when_configured()
    {
        var options = new FilterOptions { Authentication = new AuthenticationOptions { OnDnsError = DnsErrorAction.Tempfail } };
        var verdict = await DecideAsync(Dns().Failing(Partner), Unsigned(), options);
        Assert.Equal(VerdictAction.Tempfail, verdict.Action);
        Assert.Equal("temperror", verdict.Spf);
        Assert.StartsWith("DNS temporary error: SPF for football.example.com", verdict.Reason);
        var reply = Assert.IsType<MilterReply.Custom>(FilterMilterHandler.ToDecision(verdict).Reply);
        Assert.Equal((451, true), (reply.Code, reply.Text.StartsWith("4.4.3 ")));
    }

    [Fact]
    public async Task Dns_trouble_that_could_not_change_dmarc_does_not_tempfail()
    {
        // SPF cannot be looked up, but the aligned DKIM signature passes: DMARC passes whatever SPF would have said.
        var options = new FilterOptions { Authentication = new AuthenticationOptions { OnDnsError = DnsErrorAction.Tempfail } };
        var verdict = await DecideAsync(Dns().Failing(Partner), await SignedAsync(), options);
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Equal(("temperror", "pass"), (verdict.Spf, verdict.Dmarc));
    }

    [Fact]
    public async Task Dns_trouble_accepted_does_not_enforce_the_policy_or_strip_attachments()
    {
        // The key cannot be fetched and SPF fails from this address: DMARC is undecided, not a failure to punish.
        var options = new FilterOptions { Authentication = new AuthenticationOptions { EnforceDmarc = true } };
        var verdict = await DecideAsync(Dns().Failing($"sel._domainkey.{Partner}"), await SignedAsync(Pdf), options, Envelope(ip: "198.51.100.9"));
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Null(verdict.NewBody);
        Assert.Contains("dkim=temperror", OurField(verdict));
    }

    [Fact]
    public async Task Checks_that_take_too_long_count_as_dns_trouble_and_forged_fields_still_go()
    {
        var options = new FilterOptions { Authentication = new AuthenticationOptions { TimeLimit = TimeSpan.FromMilliseconds(200) } };
        var verdict = await DecideAsync(new SilentResolver(), Unsigned(), options, extraHeaders: [("Authentication-Results", $"{AuthservId}; dmarc=pass")]);
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.EndsWith("SPF, DKIM and DMARC took longer than 0.2 s", verdict.Reason);
        Assert.Contains(verdict.HeaderEdits, e => e is { Name: "Authentication-Results", Value: null, Index: 1 });

        var tempfail = await DecideAsync(new SilentResolver(), Unsigned(), new FilterOptions
        {
            Authentication = new AuthenticationOptions { TimeLimit = TimeSpan.FromMilliseconds(200), OnDnsError = DnsErrorAction.Tempfail },
        });
        Assert.Equal(VerdictAction.Tempfail, tempfail.Action);
    }

    [Fact]
    public async Task A_message_past_the_size_limit_gets_spf_dmarc_and_forged_field_removal_from_its_header_but_no_dkim()
    {
        var options = new FilterOptions { EncryptedArchiveAction = EncryptedArchiveAction.Tag };
        var forged = new[] { ("Authentication-Results", $"{AuthservId}; dmarc=pass") };
        // From an address SPF authorises: DMARC passes through SPF alone; the signature that was not checked is neutral.
        var verdict = await DecideAsync(Dns(), await SignedAsync(Pdf), options, extraHeaders: forged, truncated: true);
        Assert.Equal(VerdictAction.Tag, verdict.Action);
        Assert.StartsWith("archive could not be fully inspected: larger than the filter's limits", verdict.Reason);
        Assert.Equal(("pass", "neutral", "pass"), (verdict.Spf, verdict.Dkim, verdict.Dmarc));
        var field = OurField(verdict);
        Assert.Contains($"dkim=neutral (not verified: larger than the filter's limits, Filter:Milter:MaxMessageBytes, MaxHeaders or MaxHeaderBytes) header.d={Partner} header.s=sel", field);
        Assert.Contains("dmarc=pass", field);
        Assert.Contains(verdict.HeaderEdits, e => e is { Name: "Authentication-Results", Value: null, Index: 1 });
        Assert.Contains(verdict.HeaderEdits, e => e.Name == options.TagHeader);
    }

    [Fact]
    public async Task A_message_past_the_size_limit_with_a_signature_that_could_align_is_not_failed_by_dmarc()
    {
        // From elsewhere, SPF does not align; the signature would have passed aligned, but was not checked: DMARC is
        // not evaluated, neither a fail to enforce nor one to record.
        var enforcing = new FilterOptions { EncryptedArchiveAction = EncryptedArchiveAction.Tag, Authentication = new AuthenticationOptions { EnforceDmarc = true } };
        var large = await DecideAsync(Dns(), await SignedAsync(Pdf), enforcing, Envelope(ip: "198.51.100.9"), truncated: true);
        Assert.Equal(VerdictAction.Tag, large.Action);
        Assert.Equal(("fail", "neutral", "none"), (large.Spf, large.Dkim, large.Dmarc));
        Assert.EndsWith("DMARC not evaluated: a DKIM signature that could align was not verified and SPF does not align", large.Reason);
        Assert.Contains($"dmarc=none (p=reject dis=none) (not evaluated: a DKIM signature that could align was not verified and SPF does not align) header.from={Partner}", OurField(large));

        // Unsigned, or signed only by a third party, DMARC fails as before and is enforced.
        var unsigned = await DecideAsync(Dns(), Unsigned(Pdf), enforcing, Envelope(ip: "198.51.100.9"), truncated: true);
        Assert.Equal(VerdictAction.Reject, unsigned.Action);
        Assert.Equal(("fail", "none", "fail"), (unsigned.Spf, unsigned.Dkim, unsigned.Dmarc));
        Assert.StartsWith($"DMARC fail for {Partner}", unsigned.Reason);
        var thirdParty = new[] { ("DKIM-Signature", "v=1; a=rsa-sha256; d=mailer.example.org; s=s1; h=from; bh=AAAA; b=AAAA") };
        var signedElsewhere = await DecideAsync(Dns(), Unsigned(Pdf), enforcing, Envelope(ip: "198.51.100.9"), thirdParty, truncated: true);
        Assert.Equal(VerdictAction.Reject, signedElsewhere.Action);
        Assert.Equal(("neutral", "fail"), (signedElsewhere.Dkim, signedElsewhere.Dmarc));
    }

    [Fact]
    public async Task A_message_past_the_size_limit_still_meets_the_not_inspected_rule_and_its_exceptions()
    {
        var verdict = await DecideAsync(Dns(), Unsigned(Pdf), truncated: true);
        Assert.Equal(VerdictAction.Reject, verdict.Action);
        Assert.Equal("pass", verdict.Dmarc);

        var excepted = new FilterOptions { Exceptions = [new FilterException { Sender = Partner, ApprovedBy = "it", Reason = "large files" }] };
        var allowed = await DecideAsync(Dns(), Unsigned(Pdf), excepted, truncated: true);
        Assert.Equal(VerdictAction.Accept, allowed.Action);
        Assert.NotNull(allowed.ExceptionUsed);
        Assert.Contains("spf=pass", OurField(allowed));
    }

    /// <summary>A DNS that never answers, until the caller gives up.</summary>
    private sealed class SilentResolver : IDnsResolver
    {
        private static async Task<DnsLookup<T>> NeverAsync<T>(CancellationToken ct)
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        }

        public Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct) => NeverAsync<string>(ct);
        public Task<DnsLookup<System.Net.IPAddress>> AAsync(string name, CancellationToken ct) => NeverAsync<System.Net.IPAddress>(ct);
        public Task<DnsLookup<System.Net.IPAddress>> AaaaAsync(string name, CancellationToken ct) => NeverAsync<System.Net.IPAddress>(ct);
        public Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct) => NeverAsync<MxRecord>(ct);
        public Task<DnsLookup<string>> PtrAsync(System.Net.IPAddress address, CancellationToken ct) => NeverAsync<string>(ct);
    }

    [Fact]
    public async Task The_null_sender_is_checked_with_the_helo_name()
    {
        var dns = Dns().Txt("mx.football.example.com", "v=spf1 ip4:192.0.2.10 -all");
        var verdict = await DecideAsync(dns, await SignedAsync(), envelope: Envelope(sender: ""));
        Assert.Equal("pass", verdict.Spf);
        Assert.Contains("spf=pass (192.0.2.10 matched ip4:192.0.2.10) smtp.helo=mx.football.example.com", OurField(verdict));
    }

    [Fact]
    public async Task Submissions_are_not_checked()
    {
        var dns = Dns();
        var verdict = await DecideAsync(dns, Unsigned(Pdf), envelope: Envelope(auth: "alice"));
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Null(verdict.Spf);
        Assert.Empty(verdict.HeaderEdits);
        Assert.Empty(dns.Queries);
    }

    [Fact]
    public async Task Checks_can_be_switched_off()
    {
        var options = new FilterOptions { Authentication = new AuthenticationOptions { Enabled = false } };
        var verdict = await DecideAsync(Dns(), Unsigned(Pdf), options, Envelope(ip: "198.51.100.9"));
        Assert.Equal((VerdictAction.Accept, null), (verdict.Action, verdict.Dmarc));
        Assert.Empty(verdict.HeaderEdits);
    }
}
