using System.Globalization;
using DmarcAnalyzer.Analysis.Enrichment;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Judges whether a domain can tighten its DMARC policy. Legitimate mail is everything but unknown
/// failing; what a stricter policy would hit is the legitimate mail that fails DMARC (authorised but
/// failing, known services not authorised, and forwarded, but for forwarded mail the receiver accepted on an ARC chain: a receiver that
/// trusts the forwarder's seal delivers it under p=reject too). Verdict: <b>ready</b> when at most <see cref="ReadyShare"/> of legitimate mail
/// fails, <b>nearly</b> up to <see cref="NearlyShare"/>, <b>not ready</b> above. The policy steps are
/// RFC 9989's: p=none (monitor), quarantine, reject, one at a time.
/// </summary>
internal static class PolicyReadiness
{
    public const double ReadyShare = 0.01;
    public const double NearlyShare = 0.05;

    /// <summary>Below this many legitimate messages the verdict comes with a warning that the sample is small.</summary>
    public const long SmallSample = 1000;

    public static Readiness Assess(string domain, Tally total, IReadOnlyList<SenderSummary> senders, PublishedPolicy? policy)
    {
        var legitimate = total.Legitimate;
        var atRisk = total.Of(SenderClass.AuthorisedFailing) + total.Of(SenderClass.KnownService) + total.Of(SenderClass.Forwarded) - total.ArcAccepted;
        double? share = legitimate == 0 ? null : (double)atRisk / legitimate;
        var verdict = share switch
        {
            null => Verdict.NoData,
            <= ReadyShare => Verdict.Ready,
            <= NearlyShare => Verdict.Nearly,
            _ => Verdict.NotReady,
        };
        var impacts = new List<PolicyImpact>
        {
            new("none", 0, 0, legitimate == 0 ? null : 0),
            new("quarantine", atRisk, 0, share),
            new("reject", 0, atRisk, share),
        };
        var toFix = senders
            .Where(s => Failing(s) > 0)
            .OrderByDescending(Failing)
            .ThenBy(s => s.Name, StringComparer.Ordinal)
            .Select(s => new SenderToFix(
                s.Name,
                Failing(s),
                legitimate == 0 ? null : (double)Failing(s) / legitimate,
                s.ServiceType is { } type ? ServiceAdvice(domain, s, type, total.Volume) : Advice(domain, s.Tally)))
            .ToList();
        var current = policy?.P is "quarantine" or "reject" ? policy.P : "none";
        return new Readiness(verdict, legitimate, atRisk, share, impacts, toFix,
            NextStep(current, verdict, share), Notes(total, policy, current, verdict));
    }

    private static string NextStep(string current, Verdict verdict, double? share)
    {
        var hit = share is { } s ? Percent(s) : "0%";
        return (current, verdict) switch
        {
            (_, Verdict.NoData) => "No legitimate mail was reported in this period: keep the current policy and wait for reports.",
            ("none", Verdict.Ready) => "Move to p=quarantine with sp=quarantine: only " + hit + " of legitimate mail fails DMARC.",
            ("none", _) => "Stay at p=none and fix the senders listed, biggest first: " + hit + " of legitimate mail would be quarantined.",
            ("quarantine", Verdict.Ready) => "Move to p=reject with sp=reject, unless this is a general-purpose mail domain (see the note below): only " + hit + " of legitimate mail fails DMARC.",
            ("quarantine", Verdict.Nearly) => "Stay at p=quarantine and fix the senders listed: " + hit + " of legitimate mail is being quarantined.",
            ("quarantine", _) => "Go back to p=none while you fix the senders listed: " + hit + " of legitimate mail is being quarantined.",
            (_, Verdict.Ready) => "Stay at p=reject and keep watching: " + hit + " of legitimate mail fails DMARC.",
            (_, Verdict.Nearly) => "Fix the senders listed: " + hit + " of legitimate mail is being rejected.",
            _ => "Step back to p=quarantine while you fix the senders listed: " + hit + " of legitimate mail is being rejected.",
        };
    }

    private static List<string> Notes(Tally total, PublishedPolicy? policy, string current, Verdict verdict)
    {
        var notes = new List<string>();
        if (policy is null || policy.P is null)
            notes.Add("The reports do not say which policy is published; p=none is assumed.");
        if (verdict != Verdict.NoData && total.Legitimate < SmallSample)
            notes.Add($"Only {total.Legitimate.ToString("N0", CultureInfo.InvariantCulture)} legitimate messages were reported: judge with care.");
        if (policy?.Np is not "reject")
            notes.Add("np=reject can be published now: non-existent subdomains send no legitimate mail (RFC 9989 np tag).");
        if (policy?.Sp is { } sp && sp != current)
            notes.Add($"sp={sp} differs from p={current}: subdomains follow sp, so move it with p unless subdomains have senders of their own still failing.");
        if (policy?.Testing is "y")
            notes.Add("The policy is published with t=y (testing): receivers are asked to apply a less strict policy than p says (RFC 9989).");
        if (total.Of(SenderClass.Forwarded) > 0)
            notes.Add("Forwarded and mailing-list mail fails DMARC through no fault of the sender; it cannot be fixed here, and is why p=reject costs some legitimate mail.");
        notes.Add("RFC 9989 advises general-purpose mail domains (whose users post to mailing lists) against p=reject: p=quarantine is the end state for them.");
        return notes;
    }

    /// <summary>The legitimate mail of a sender that fails DMARC: listed as the organisation's, or a catalogued service.</summary>
    private static long Failing(SenderSummary s) => s.Tally.Of(SenderClass.AuthorisedFailing) + s.Tally.Of(SenderClass.KnownService);

    /// <summary>
    /// A catalogued service that fails DMARC, named: what share of the domain's mail it sends unaligned, and the fix
    /// its kind of service offers (the custom sending domain every ESP documents, DKIM in the mailbox provider's console).
    /// </summary>
    private static string ServiceAdvice(string domain, SenderSummary s, ServiceType type, long volume)
    {
        var share = volume == 0 ? "0%" : Percent((double)Failing(s) / volume);
        var fix = type switch
        {
            ServiceType.MailboxProvider => $"turn on DKIM signing for {domain} in {s.Name}'s admin console",
            ServiceType.SecurityGateway => $"have {s.Name} sign outbound mail with d={domain}, or list it in {domain}'s SPF record",
            _ => $"set up a custom DKIM domain in {s.Name} (d={domain})",
        };
        var listed = s.Tally.Of(SenderClass.KnownService) > 0 ? "; if it is yours, list it under Analysis:KnownSenders" : "";
        return $"{s.Name} sends {share} of {domain}'s mail unaligned: {fix}{listed}";
    }

    private static string Advice(string domain, Tally t)
    {
        var parts = new List<string>();
        if (t.DkimAligned == 0)
            parts.Add($"no aligned DKIM: sign with d={domain} (or a subdomain of it)");
        else if (t.DkimAligned < t.Volume)
            parts.Add($"aligned DKIM on {Percent(t.DkimAlignedRate ?? 0)} only: some servers or streams do not sign");
        if (t.SpfAligned == 0)
            parts.Add($"no aligned SPF: use a bounce address in {domain} and list the sender in its SPF record");
        else if (t.SpfAligned < t.Volume)
            parts.Add($"aligned SPF on {Percent(t.SpfAlignedRate ?? 0)} only");
        return parts.Count == 0 ? "passes now; check the failing days" : string.Join("; ", parts);
    }

    public static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
