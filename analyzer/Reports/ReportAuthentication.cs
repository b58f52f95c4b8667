namespace DmarcAnalyzer.Reports;

/// <summary>
/// What the DKIM signatures of the mail a report came in say about who sent it (red-team F9: anyone can send a report
/// claiming to be a large mailbox provider). A report is <see cref="Verified"/> when a signature that verifies has a
/// d= aligned (relaxed, RFC 9989) with the domain of the report's sender: the mail's From, and for an aggregate report
/// also its report_metadata email.
/// </summary>
internal enum ReportAuthVerdict
{
    Verified,

    /// <summary>Signatures verify, but none of their d= is the sender's domain (a forwarder, a mailing service).</summary>
    SignedOtherDomain,

    /// <summary>The mail carries no DKIM-Signature.</summary>
    Unsigned,

    /// <summary>The mail is signed, and no signature verifies (or one of the sender's domain does not).</summary>
    Failed,

    /// <summary>A bare file (XML, gzip, zip, JSON): there is no mail to verify.</summary>
    NotMail,

    /// <summary>DNS did not answer for the keys: not verified, and not known to be false either.</summary>
    DnsUnavailable,
}

/// <summary>
/// A report's verdict, the d= of every signature that verified, and the domain of the mail's From (null for a bare
/// file, or a From without a usable domain). Stored with the report; reports stored before this existed have none.
/// </summary>
internal sealed record ReportAuthentication(ReportAuthVerdict Verdict, IReadOnlyList<string> Domains, string? FromDomain)
{
    public static readonly ReportAuthentication NotMail = new(ReportAuthVerdict.NotMail, [], null);

    /// <summary>The word stored and exported for each verdict; scripts read it.</summary>
    public static string Word(ReportAuthVerdict verdict) => verdict switch
    {
        ReportAuthVerdict.Verified => "verified",
        ReportAuthVerdict.SignedOtherDomain => "signed-other-domain",
        ReportAuthVerdict.Unsigned => "unsigned",
        ReportAuthVerdict.Failed => "failed",
        ReportAuthVerdict.NotMail => "not-mail",
        ReportAuthVerdict.DnsUnavailable => "dns-unavailable",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict)),
    };

    /// <summary>The verdict a stored word stands for; null for a report stored before verification existed (or a word not known).</summary>
    public static ReportAuthVerdict? Parse(string? word) => word switch
    {
        "verified" => ReportAuthVerdict.Verified,
        "signed-other-domain" => ReportAuthVerdict.SignedOtherDomain,
        "unsigned" => ReportAuthVerdict.Unsigned,
        "failed" => ReportAuthVerdict.Failed,
        "not-mail" => ReportAuthVerdict.NotMail,
        "dns-unavailable" => ReportAuthVerdict.DnsUnavailable,
        _ => null,
    };

    /// <summary>The passing signing domains as stored: comma-separated, null when there is none.</summary>
    public string? DomainsText => Domains.Count == 0 ? null : string.Join(',', Domains);

    /// <summary>
    /// The passing d= worth naming beside a reporter's name (red-team F9): a verified report proves the domain that signed
    /// it, not the org_name it carries, so "google.com" signed by attacker.example reads "google.com (signed by
    /// attacker.example)". None of <paramref name="domains"/> is named when one is the name's own: the name itself when it
    /// is a domain, a name under it, or one it is under ("enterprise.protection.outlook.com" and d=outlook.com). A name that
    /// is no domain ("Enterprise Outlook") owns none, so its signer is always named. The org_name is not required to be
    /// the signer's: real reporters' names often are not (Microsoft's say "Enterprise Outlook", from microsoft.com).
    /// </summary>
    public static IReadOnlyList<string> SignersBeside(string reporter, IEnumerable<string> domains)
    {
        var signers = domains.Select(d => d.Trim().TrimEnd('.').ToLowerInvariant()).Where(d => d.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList();
        var name = reporter.Trim().TrimEnd('.').ToLowerInvariant();
        bool Own(string d) => d == name || d.EndsWith("." + name, StringComparison.Ordinal) || name.EndsWith("." + d, StringComparison.Ordinal);
        return name.Contains('.') && signers.Any(Own) ? [] : signers;
    }

    /// <summary>A reporter's name with the signers <see cref="SignersBeside"/> gives: "google.com (signed by attacker.example)".</summary>
    public static string Label(string reporter, IReadOnlyList<string> signers) =>
        signers.Count == 0 ? reporter : $"{reporter} (signed by {string.Join(", ", signers)})";

    /// <summary>
    /// Plain words for a reader of the report or the dashboard; null for what needs no mark (verified, or a bare file
    /// the administrator put there). <paramref name="verdict"/> null: stored before reports were verified.
    /// </summary>
    public static string? Mark(ReportAuthVerdict? verdict) => verdict switch
    {
        null => "not known whether DKIM-signed (stored before reports were verified)",
        ReportAuthVerdict.Verified or ReportAuthVerdict.NotMail => null,
        ReportAuthVerdict.DnsUnavailable => "not DKIM-signed by the reporter's domain as far as known: DNS was unavailable",
        ReportAuthVerdict.Failed => "not DKIM-signed by the reporter's domain: the signature did not verify",
        _ => "not DKIM-signed by the reporter's domain",
    };
}
