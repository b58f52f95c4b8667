using System.Text;
using DmarcAnalyzer.Auth.Arc;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Dns;
using MimeKit;

namespace DmarcAnalyzer.Auth;

/// <summary>What a message's DKIM signatures and DMARC policy say, with the SPF outcome it was given.</summary>
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

/// <summary>
/// DKIM and DMARC for one message in one pass: the header block is read once (From and the signatures),
/// then the body streams through the DKIM hashers; the ARC chain is then checked over the message parsed by MimeKit
/// (the stream must be seekable). SPF is evaluated elsewhere and passed in.
/// </summary>
internal sealed class MessageAuthenticator(IDnsResolver dns, DmarcDiscoveryMode mode = DmarcDiscoveryMode.TreeWalk,
    PublicSuffixList? psl = null, TimeProvider? time = null)
{
    private readonly ArcChainVerifier _arc = new(dns);

    public async Task<MessageAuthentication> AuthenticateAsync(Stream message, SpfOutcome spf, CancellationToken ct, string? clientAddress = null)
    {
        var start = message.Position;
        var reader = await RawMessageReader.ReadHeaderAsync(message, ct);
        // Raw fields are Latin-1 for exact DKIM hashing; an internationalised From is UTF-8 (RFC 6532).
        var from = reader.Fields
            .Where(f => f.Name.Equals("From", StringComparison.OrdinalIgnoreCase))
            .Select(f => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(f.Value)))
            .ToList();
        var dkim = await new DkimVerifier(dns, time).VerifyAsync(reader, ct);
        var dmarc = await new DmarcEvaluator(dns, mode, psl).EvaluateAsync(from, spf, dkim, ct);
        message.Position = start;
        // Most mail carries no ARC field: it is not parsed a second time for a chain it cannot have.
        var arc = reader.Fields.Any(f => f.Name.StartsWith("ARC-", StringComparison.OrdinalIgnoreCase))
            ? await VerifyArcAsync(message, ct)
            : ArcResult.None;
        return new MessageAuthentication(spf, dkim, dmarc) { Arc = arc, ClientAddress = clientAddress };
    }

    private async Task<ArcResult> VerifyArcAsync(Stream message, CancellationToken ct)
    {
        try
        {
            return await _arc.VerifyAsync(await MimeMessage.LoadAsync(message, ct), ct);
        }
        catch (FormatException e)
        {
            // A message MimeKit cannot read (no header block at all) carries no chain we could check; none grants no trust.
            return ArcResult.None with { Reason = $"not checked: {e.Message}" };
        }
    }
}
