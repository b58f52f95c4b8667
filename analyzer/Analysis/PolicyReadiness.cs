using System.Globalization;
using DmarcAnalyzer.Analysis.Enrichment;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Judges whether a domain can tighten its DMARC policy. Legitimate mail is everything but unknown
/// failing; what a stricter policy would hit is the legitimate mail that fails DMARC (authorised but
/// failing, known services not authorised, and forwarded, but for forwarded mail the receiver accepted on an ARC chain: a receiver that
/// trusts the forwarder's seal delivers it under p=reject too). Verdict: <b>ready</b> when at most <see cref="ReadyShare"/> of legitimate mail
/// fails, <b>nearly</b> up to <see cref="NearlyShare"/>, <b>not ready</b> above. When only forwarded mail would be hit,
/// nothing can be fixed at the sender, so up to <see cref="NearlyShare"/> is ready; when unlisted senders look like
/// services in use (<see cref="SenderSummary.LikelyService"/>), ready becomes nearly until someone has looked at them.
/// The policy steps are RFC 9989's: p=none (monitor), quarantine, reject, one at a time.
/// </summary>
internal static class PolicyReadiness
{
    public const double ReadyShare = 0.01;
    public const double NearlyShare = 0.05;

    /// <summary>Below this many legitimate messages the verdict comes with a warning that the sample is small.</summary>
    public const long SmallSample = 1000;

    private const string NeverReject = "Filter:Authentication:NeverReject";

    public static Readiness Assess(string domain, Tally total, IReadOnlyList<SenderSummary> senders, PublishedPolicy? policy)
    {
        var legitimate = total.Legitimate;
        var forwarded = total.Of(SenderClass.Forwarded) - total.ArcAccepted;
        var atRisk = total.Of(SenderClass.AuthorisedFailing) + total.Of(SenderClass.KnownService) + forwarded;
        double? share = legitimate == 0 ? null : (double)atRisk / legitimate;
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
        var unrecognised = senders
            .Where(s => !s.Known && s.LikelyService && s.Tally.Of(SenderClass.UnknownFailing) > 0)
            .OrderByDescending(s => s.Tally.Of(SenderClass.UnknownFailing))
            .ThenBy(s => s.Name, StringComparer.Ordinal)
            .Select(s => new UnrecognisedSender(
                s.Name,
                s.Tally.Of(SenderClass.UnknownFailing),
                total.Volume == 0 ? null : (double)s.Tally.Of(SenderClass.UnknownFailing) / total.Volume,
                "unrecognised sender, probably a service you use: add it to Analysis:KnownSenders if it is yours, and fix its alignment (" +
                Advice(domain, s.Tally) + "); otherwise it is spoofing"))
            .ToList();
        var spoofed = Math.Max(0, total.Of(SenderClass.UnknownFailing) - ReportCount.Sum(unrecognised, u => u.Failing));

        var onlyForwarded = toFix.Count == 0 && atRisk > 0;
        var verdict = share switch
        {
            null => Verdict.NoData,
            <= ReadyShare => Verdict.Ready,
            <= NearlyShare when onlyForwarded => Verdict.Ready,
            <= NearlyShare => Verdict.Nearly,
            _ => Verdict.NotReady,
        };
        if (verdict == Verdict.Ready && unrecognised.Count > 0)
            verdict = Verdict.Nearly;

        var impacts = new List<PolicyImpact>
        {
            new("none", 0, 0, legitimate == 0 ? null : 0),
            new("quarantine", atRisk, 0, share),
            new("reject", 0, atRisk, share),
        };
        var current = policy?.P is "quarantine" or "reject" ? policy.P : "none";
        var situation = new Situation(current, verdict, atRisk, share ?? 0, forwarded, toFix, unrecognised);
        return new Readiness(verdict, legitimate, atRisk, share, impacts, toFix, NextStep(situation), Notes(total, policy, current, verdict, onlyForwarded))
        {
            Unrecognised = unrecognised,
            Spoofed = spoofed,
            Gain = Gain(current, spoofed, total.Volume),
        };
    }

    private sealed record Situation(
        string Current, Verdict Verdict, long AtRisk, double Share, long Forwarded, List<SenderToFix> ToFix, List<UnrecognisedSender> Unrecognised);

    private static string NextStep(Situation s)
    {
        if (s.Verdict == Verdict.NoData)
            return "No legitimate mail was reported in this period: keep the current policy and wait for reports.";
        var stricter = s.Current switch { "none" => "p=quarantine", _ => "p=reject" };
        var hit = $"{Wording.Messages(s.AtRisk)} ({Wording.Percent(s.Share)} of legitimate mail)";
        var fails = s.AtRisk == 1 ? "fails" : "fail";
        var fixable = s.AtRisk - s.Forwarded;
        var rest = s.Forwarded == 0 ? ""
            : $"; the other {Wording.Messages(s.Forwarded)} {(s.Forwarded == 1 ? "is" : "are")} forwarded or mailing-list mail, which cannot be fixed at the sender";
        var fixList = $"fix the {Wording.Count(s.ToFix.Count, "sender")} listed below, biggest first: {(s.ToFix.Count == 1 ? "it sends" : "they send")} " +
                      $"{Wording.Number(fixable)} of the {hit} that {stricter} would hit{rest}.";

        if (s.Unrecognised.Count > 0 && s.ToFix.Count == 0)
            return $"Stay at p={s.Current} and first look at the {Wording.Count(s.Unrecognised.Count, "unrecognised sender")} listed below: " +
                   $"{Wording.Messages(ReportCount.Sum(s.Unrecognised, u => u.Failing))} failing DMARC while signed with a DKIM domain of {(s.Unrecognised.Count == 1 ? "its" : "their")} own, " +
                   "sent steadily, as a service you use would. " +
                   (s.Unrecognised.Count == 1
                       ? "If it is yours, add it to Analysis:KnownSenders and fix its alignment; if not, it is spoofing."
                       : "Add those that are yours to Analysis:KnownSenders and fix their alignment; the others are spoofing.") +
                   (s.AtRisk > 0 ? $" Besides, {stricter} would hit {hit}." : "");
        if (s.AtRisk == 0)
            return s.Current switch
            {
                "none" => "Move to p=quarantine with sp=quarantine: no legitimate mail fails DMARC.",
                "quarantine" => "Move to p=reject with sp=reject, unless this is a general-purpose mail domain (see the note below): no legitimate mail fails DMARC.",
                _ => "Stay at p=reject and keep watching: no legitimate mail fails DMARC.",
            };
        if (s.ToFix.Count == 0)
            return ForwardedOnly(s, hit);

        var alsoUnrecognised = s.Unrecognised.Count == 0 ? ""
            : $" Then look at the {Wording.Count(s.Unrecognised.Count, "unrecognised sender")} below the list: {(s.Unrecognised.Count == 1 ? "it looks" : "they look")} like services you use.";
        return (s.Current, s.Verdict) switch
        {
            ("none", Verdict.Ready) => $"Move to p=quarantine with sp=quarantine: only {hit} {fails} DMARC. Then {fixList}",
            ("none", _) => $"Stay at p=none and {fixList}",
            ("quarantine", Verdict.Ready) => $"Move to p=reject with sp=reject, unless this is a general-purpose mail domain (see the note below): only {hit} {fails} DMARC. Then {fixList}",
            ("quarantine", Verdict.Nearly) => $"Stay at p=quarantine and {fixList}",
            ("quarantine", _) => $"Go back to p=none while you {fixList}",
            (_, Verdict.Ready) => $"Stay at p=reject and {fixList}",
            (_, Verdict.Nearly) => $"Stay at p=reject and {fixList}",
            _ => $"Step back to p=quarantine while you {fixList}",
        } + alsoUnrecognised;
    }

    /// <summary>Only forwarded and mailing-list mail fails: nothing to fix at the sender; ARC and the never-reject list are what helps.</summary>
    private static string ForwardedOnly(Situation s, string hit)
    {
        const string why = "Nothing of yours fails DMARC: all of it is forwarded or mailing-list mail, which fails on the way and cannot be fixed at the sender. " +
                           "Receivers that check ARC (RFC 8617) deliver much of it anyway, and the forwarders and lists your own mail host knows belong in " + NeverReject + ".";
        return (s.Current, s.Verdict) switch
        {
            ("none", Verdict.Ready) => $"Move to p=quarantine with sp=quarantine, RFC 9989's end state for general-purpose mail domains: it would hit {hit}. {why}",
            ("none", _) => $"Stay at p=none for now: p=quarantine would send {hit} to spam. {why} Ask the biggest forwarders and lists to ARC-seal, then move to p=quarantine.",
            ("quarantine", Verdict.Ready) => $"Stay at p=quarantine if people post to mailing lists from this domain (RFC 9989's end state for general-purpose mail domains); otherwise move to p=reject, which would reject {hit}. {why}",
            ("quarantine", _) => $"Stay at p=quarantine: it sends {hit} to spam. {why}",
            _ => $"p=reject rejects {hit}: consider p=quarantine, RFC 9989's end state for general-purpose mail domains. {why}",
        };
    }

    /// <summary>What the next step buys: the spoofed mail it would have stopped (or did stop) in the period.</summary>
    private static string Gain(string current, long spoofed, long volume)
    {
        if (volume == 0)
            return "";
        if (spoofed == 0)
            return "No spoofed mail was reported in this period.";
        var what = $"{Wording.Messages(spoofed)} ({Wording.Percent((double)spoofed / volume)} of all mail) that nobody authorised";
        return current switch
        {
            "none" => $"p=quarantine would have stopped {what} this period: today they are delivered.",
            "quarantine" => $"p=quarantine kept {what} out of the inbox this period; p=reject would have refused them outright.",
            _ => $"p=reject stopped {what} this period.",
        };
    }

    private static List<string> Notes(Tally total, PublishedPolicy? policy, string current, Verdict verdict, bool onlyForwarded)
    {
        var notes = new List<string>();
        if (policy is null || policy.P is null)
            notes.Add("The reports do not say which policy is published; p=none is assumed.");
        if (verdict != Verdict.NoData && total.Legitimate < SmallSample)
            notes.Add($"Only {Wording.Count(total.Legitimate, "legitimate message")} {(total.Legitimate == 1 ? "was" : "were")} reported: judge with care.");
        if (policy?.Np is not "reject")
            notes.Add("np=reject can be published now: non-existent subdomains send no legitimate mail (RFC 9989 np tag).");
        if (policy?.Sp is { } sp && sp != current)
            notes.Add($"sp={sp} differs from p={current}: subdomains follow sp, so move it with p unless subdomains have senders of their own still failing.");
        if (policy?.Testing is "y")
            notes.Add("The policy is published with t=y (testing): receivers are asked to apply a less strict policy than p says (RFC 9989).");
        if (total.Of(SenderClass.Forwarded) > 0 && !onlyForwarded)
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
        var share = volume == 0 ? "0%" : Wording.Percent((double)Failing(s) / volume);
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
            parts.Add($"aligned DKIM on {Wording.Percent(t.DkimAlignedRate ?? 0)} only: some servers or streams do not sign");
        if (t.SpfAligned == 0)
            parts.Add($"no aligned SPF: use a bounce address in {domain} and list the sender in its SPF record");
        else if (t.SpfAligned < t.Volume)
            parts.Add($"aligned SPF on {Wording.Percent(t.SpfAlignedRate ?? 0)} only");
        return parts.Count == 0 ? "passes now; check the failing days" : string.Join("; ", parts);
    }
}
