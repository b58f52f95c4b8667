using System.Text;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Auth;

/// <summary>What a message's DKIM signatures and DMARC policy say, with the SPF outcome it was given.</summary>
internal sealed record MessageAuthentication(SpfOutcome Spf, IReadOnlyList<DkimResult> Dkim, DmarcResult Dmarc)
{
    /// <summary>Why DMARC was left unevaluated (its result none), when it was; null when it was evaluated.</summary>
    public string? DmarcNotEvaluated { get; init; }

    /// <summary>The Authentication-Results value to add (RFC 8601), folded.</summary>
    public string AuthenticationResults(string authservId) => AuthenticationResultsWriter.Write(authservId, Spf, Dkim, Dmarc);
}

/// <summary>
/// DKIM and DMARC for one message in one pass: the header block is read once (From and the signatures),
/// then the body streams through the DKIM hashers. SPF is evaluated elsewhere and passed in.
/// </summary>
internal sealed class MessageAuthenticator(IDnsResolver dns, DmarcDiscoveryMode mode = DmarcDiscoveryMode.TreeWalk,
    PublicSuffixList? psl = null, TimeProvider? time = null)
{
    public async Task<MessageAuthentication> AuthenticateAsync(Stream message, SpfOutcome spf, CancellationToken ct)
    {
        var reader = await RawMessageReader.ReadHeaderAsync(message, ct);
        // Raw fields are Latin-1 for exact DKIM hashing; an internationalised From is UTF-8 (RFC 6532).
        var from = reader.Fields
            .Where(f => f.Name.Equals("From", StringComparison.OrdinalIgnoreCase))
            .Select(f => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(f.Value)))
            .ToList();
        var dkim = await new DkimVerifier(dns, time).VerifyAsync(reader, ct);
        var dmarc = await new DmarcEvaluator(dns, mode, psl).EvaluateAsync(from, spf, dkim, ct);
        return new MessageAuthentication(spf, dkim, dmarc);
    }
}
