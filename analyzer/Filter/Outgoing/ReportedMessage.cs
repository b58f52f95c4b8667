using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Filter.Outgoing;

/// <summary>RFC 9990 PolicyOverrideType: why the disposition applied differs from the policy published.</summary>
internal enum OverrideType { LocalPolicy, MailingList, Other, PolicyTestMode, TrustedForwarder }

/// <summary>
/// The policy record in force when the message was evaluated (RFC 9990 policy_published), with its raw rua= value and
/// its fo= when it has a valid one. psd= is kept, though RFC 9990's schema has no element for it.
/// </summary>
internal sealed record PublishedPolicy(
    string Domain, string P, string? Sp, string? Np, bool StrictDkim, bool StrictSpf, bool Testing, char Psd, string Rua,
    DmarcDiscoveryMode Discovery, string? Fo = null);

internal sealed record OverrideReason(OverrideType Type, string? Comment);

/// <summary>One DKIM signature's result; <paramref name="HumanResult"/> says why one did not pass.</summary>
internal sealed record ReportedDkim(string Domain, string Selector, string Result, string? HumanResult = null);

/// <summary>
/// The SPF result; <paramref name="Scope"/> is "mfrom", or "helo" for the null sender (RFC 9990 reports only mfrom's
/// scope); <paramref name="HumanResult"/> says why it did not pass.
/// </summary>
internal sealed record ReportedSpf(string Domain, string Scope, string Result, string? HumanResult = null);

/// <summary>
/// What an RFC 9990 aggregate report needs of one message, as the milter saw it: the policy in force, the disposition
/// actually applied (none, pass, quarantine, reject) with the reasons it differs from the policy, the aligned results,
/// every DKIM result, the SPF result, and the identifiers. Kept in the verdict log only when the policy has a rua=.
/// </summary>
internal sealed record ReportedMessage(
    PublishedPolicy Policy,
    string OrganizationalDomain,
    string SourceIp,
    string HeaderFrom,
    string? EnvelopeFrom,
    string? EnvelopeTo,
    string Disposition,
    bool DkimAligned,
    bool SpfAligned,
    IReadOnlyList<OverrideReason> Reasons,
    IReadOnlyList<ReportedDkim> Dkim,
    ReportedSpf? Spf)
{
    /// <summary>
    /// The facts of a message whose DMARC was evaluated against a record with a rua=, else null (nothing to report).
    /// <paramref name="applied"/> is the disposition the filter applied; <paramref name="reasons"/> say why it is not
    /// the one the policy asked for.
    /// </summary>
    public static ReportedMessage? Of(MessageEnvelope envelope, MessageAuthentication a, string applied, IReadOnlyList<OverrideReason> reasons)
    {
        var dmarc = a.Dmarc;
        if (dmarc is not { Result: DmarcResultCode.Pass or DmarcResultCode.Fail, Record: { } record, RecordDomain: { } recordDomain, FromDomain: { } from }
            || SourceAddress(envelope.ClientAddress) is not { } ip
            || ReportDestination.RuaOf(record.Text) is not { } rua)
            return null;
        var policy = new PublishedPolicy(recordDomain, record.Policy.Word(), record.SubdomainPolicy?.Word(), record.NonExistentPolicy?.Word(),
            record.StrictDkim, record.StrictSpf, record.Testing, record.Psd, rua, dmarc.DiscoveryMode, FailureOptions(record.Text));
        var disposition = dmarc.Result == DmarcResultCode.Pass
            // RFC 9990 "pass": no action, the message passed DMARC under a policy that enforces.
            ? dmarc.Policy is DmarcPolicy.Quarantine or DmarcPolicy.Reject ? "pass" : DmarcPolicy.None.Word()
            : applied;
        var spf = a.Spf.Domain.Length == 0 ? null : new ReportedSpf(a.Spf.Domain, a.Spf.Scope == SpfIdentity.Helo ? "helo" : "mfrom",
            a.Spf.Result.Word(), a.Spf.Result == SpfResultCode.Pass ? null : a.Spf.Comment);
        var org = dmarc.OrganizationalDomain ?? from;
        // RFC 9990 "DKIM Signatures in Aggregate Reports": passing signatures in strict, then relaxed alignment with the
        // From domain, then other passing ones, then those that did not pass; at most 100.
        var dkim = a.Dkim.Where(d => d.Result != DkimResultCode.None && d.Domain.Length > 0)
            .OrderBy(d => d.Result != DkimResultCode.Pass ? 3
                : IdentifierAlignment.CouldAlign(d.Domain, from, org, AlignmentMode.Strict) ? 0
                : IdentifierAlignment.CouldAlign(d.Domain, from, org, AlignmentMode.Relaxed) ? 1 : 2)
            .Take(MaxSignatures)
            .Select(d => new ReportedDkim(d.Domain, d.Selector, d.Result.Word(), d.Result == DkimResultCode.Pass ? null : d.Reason)).ToList();
        return new ReportedMessage(policy, org, ip, from, EnvelopeDomain(envelope.Sender),
            RecipientDomain(envelope.Recipients), disposition, dmarc.DkimAligned, dmarc.SpfAligned, reasons, dkim, spf);
    }

    /// <summary>The most DKIM results a row carries (RFC 9990: "no more than 100 signatures for a given row").</summary>
    private const int MaxSignatures = 100;

    /// <summary>The record's fo= when it is a valid one (RFC 9989: 0, 1, d or s, separated by colons), else null.</summary>
    private static string? FailureOptions(string recordText) =>
        ReportDestination.TagOf(recordText, "fo") is { } fo
            && fo.Split(':').All(option => option.Trim() is "0" or "1" or "d" or "s")
            ? string.Join(':', fo.Split(':').Select(option => option.Trim()))
            : null;

    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The facts as the verdict log keeps them.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Facts the verdict log kept; throws <see cref="JsonException"/> when they cannot be read.</summary>
    public static ReportedMessage FromJson(string json) =>
        JsonSerializer.Deserialize<ReportedMessage>(json, Json) ?? throw new JsonException("null facts");

    /// <summary>
    /// The client's address as RFC 9990's source_ip wants it (an IPv4 or IPv6 address, RFC 3986 §3.2.2): an IPv4 address
    /// Sendmail's "IPv6:" prefix or an IPv4-mapped IPv6 form hides is written plainly; anything else (a local socket)
    /// is no source to report.
    /// </summary>
    private static string? SourceAddress(string? client)
    {
        if (client is null)
            return null;
        var text = client.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase) ? client[5..] : client;
        return IPAddress.TryParse(text.Trim('[', ']'), out var address) && address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
            : null;
    }

    private static string? EnvelopeDomain(string address) =>
        address.LastIndexOf('@') is var at and >= 0 && at < address.Length - 1 ? address[(at + 1)..].Trim('>').ToLowerInvariant() : null;

    /// <summary>RFC 9990 envelope_to is one domain: given when every recipient is in the same domain, else left out.</summary>
    private static string? RecipientDomain(IReadOnlyList<string> recipients)
    {
        var domains = recipients.Select(EnvelopeDomain).Distinct(StringComparer.Ordinal).ToList();
        return domains.Count == 1 ? domains[0] : null;
    }
}
