using DmarcAnalyzer.Auth.Arc;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Auth;

/// <summary>What SPF, a message's DKIM signatures, its DMARC policy and its ARC chain say.</summary>
internal sealed record MessageAuthentication(SpfOutcome Spf, IReadOnlyList<DkimResult> Dkim, DmarcResult Dmarc)
{
    /// <summary>Why DMARC was left unevaluated (its result none), when it was; null when it was evaluated.</summary>
    public string? DmarcNotEvaluated { get; init; }

    /// <summary>The ARC chain's validation (RFC 8617 §5.2); null when it was not checked (only the header was read).</summary>
    public ArcResult? Arc { get; init; }

    /// <summary>The SMTP client's address, for smtp.remote-ip in the arc result (RFC 8617 §10.2).</summary>
    public string? ClientAddress { get; init; }

    /// <summary>
    /// The trusted ARC sealer that vouches for a DMARC-failing message as forwarded (its chain passes and its hop saw
    /// DMARC, or aligned SPF or DKIM, pass); null when no override applies.
    /// </summary>
    public string? ForwardedBy { get; init; }

    /// <summary>The Authentication-Results value to add (RFC 8601), folded.</summary>
    public string AuthenticationResults(string authservId) =>
        AuthenticationResultsWriter.Write(authservId, Spf, Dkim, Dmarc, Arc, ClientAddress, ForwardedBy);
}
