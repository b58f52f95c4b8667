using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Arc;
using DmarcAnalyzer.Auth.Dmarc;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// The ARC override (RFC 8617 §7.2, RFC 9989's local_policy): a DMARC-failing message whose ARC chain passes, whose
/// newest set was sealed by a sealer we trust, and whose ARC-Authentication-Results at that hop say DMARC passed (or
/// SPF or DKIM passed aligned with the From domain) was forwarded, not forged.
/// </summary>
internal static class TrustedSealers
{
    /// <summary>The authentication with <see cref="MessageAuthentication.ForwardedBy"/> set when the override applies.</summary>
    public static MessageAuthentication Apply(MessageAuthentication a, IReadOnlyList<string> trusted)
    {
        if (a.Dmarc.Result != DmarcResultCode.Fail || a.Arc is not { State: ArcChainState.Pass, Sealer: { } sealer, NewestHop: { } hop }
            || !trusted.Any(t => FilterException.AddressMatches(t, sealer)) || !PassedAtHop(hop, a.Dmarc))
            return a;
        return a with { ForwardedBy = sealer };
    }

    /// <summary>Words for the verdict log and the report: the override and the sealer.</summary>
    public static string Overridden(string sealer) => $"DMARC fail overridden: forwarded (arc=pass, trusted sealer {sealer})";

    private static bool PassedAtHop(ArcHopResults hop, DmarcResult dmarc)
    {
        foreach (var r in hop.Results)
        {
            if (!r.Passed)
                continue;
            var method = r.Method.ToLowerInvariant();
            if (method == "dmarc" && (r.Properties.GetValueOrDefault("header.from") is not { } from
                || from.Equals(dmarc.FromDomain, StringComparison.OrdinalIgnoreCase)))
                return true;
            if (method == "spf" && r.Properties.GetValueOrDefault("smtp.mailfrom") is { } mailFrom
                && dmarc.CouldAlignSpf(mailFrom[(mailFrom.LastIndexOf('@') + 1)..]))
                return true;
            if (method == "dkim" && (r.Properties.GetValueOrDefault("header.d") ?? Domain(r.Properties.GetValueOrDefault("header.i"))) is { } d
                && dmarc.CouldAlignDkim(d))
                return true;
        }
        return false;
    }

    private static string? Domain(string? identity) => identity is null ? null : identity[(identity.LastIndexOf('@') + 1)..];
}
