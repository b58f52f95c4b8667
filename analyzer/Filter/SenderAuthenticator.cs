using System.Net;
using System.Text;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// SPF, DKIM and DMARC for one inbound message through the shared resolver (local zone files answer first, so an
/// administrator can give SPF records to partners who publish none). <see cref="AuthservId"/> names us in the
/// Authentication-Results field.
/// </summary>
internal sealed class SenderAuthenticator(IDnsResolver dns, string authservId, DmarcDiscoveryMode mode = DmarcDiscoveryMode.TreeWalk,
    PublicSuffixList? psl = null, TimeProvider? time = null)
{
    private readonly SpfEvaluator _spf = new(dns, authservId, time);
    private readonly MessageAuthenticator _message = new(dns, mode, psl, time);
    private readonly DmarcEvaluator _dmarc = new(dns, mode, psl);

    public string AuthservId => authservId;

    /// <summary>Checks the message; <paramref name="message"/> is read once from its current position.</summary>
    public async Task<MessageAuthentication> AuthenticateAsync(MessageEnvelope envelope, Stream message, CancellationToken ct)
    {
        var spf = await SpfAsync(envelope, ct);
        return await _message.AuthenticateAsync(message, spf, ct, envelope.ClientAddress);
    }

    /// <summary>
    /// SPF and DMARC from the envelope and the header fields alone, for a message too large to read whole
    /// (<paramref name="headers"/> as the MTA sent them, raw bytes as Latin-1 chars). DKIM cannot be verified without
    /// the body. Without a signature that is dkim=none; a signature that could not be checked is dkim=neutral
    /// (RFC 8601 §2.7.1), its comment saying <paramref name="why"/>. A DMARC fail that such a signature could have
    /// turned into a pass is no result: DMARC is left unevaluated, dmarc=none, never a fail to enforce.
    /// </summary>
    public async Task<MessageAuthentication> AuthenticateHeaderAsync(MessageEnvelope envelope, IReadOnlyList<(string Name, string Value)> headers,
        string why, CancellationToken ct)
    {
        var spf = await SpfAsync(envelope, ct);
        // An internationalised From is UTF-8 (RFC 6532).
        var from = headers.Where(h => h.Name.Equals("From", StringComparison.OrdinalIgnoreCase))
            .Select(h => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(h.Value)))
            .ToList();
        var dmarc = await _dmarc.EvaluateAsync(from, spf, [], ct);
        var dkim = headers.Where(h => h.Name.Equals("DKIM-Signature", StringComparison.OrdinalIgnoreCase))
            .Take(DkimVerifier.MaxSignatures)
            .Select(h => Unverified(h.Value, why))
            .ToList();
        if (dkim.Count == 0)
            return new MessageAuthentication(spf, [new DkimResult(DkimResult.None, "", "", null, why)], dmarc);
        if (dmarc.Result != DmarcResult.Fail || !dkim.Any(d => d.Result == DkimResult.Neutral && FilterEngine.CouldAlign(d.Domain, dmarc)))
            return new MessageAuthentication(spf, dkim, dmarc);
        // DMARC's "none" (RFC 9989's Authentication-Results registration): no aligned identifier could be extracted,
        // as the signature that may be one could not be verified. "fail" would say none of the mechanisms passed,
        // which is not known; the errors speak of DNS and of records, which are not at fault.
        var notEvaluated = "a DKIM signature that could align was not verified and SPF does not align";
        return new MessageAuthentication(spf, dkim, dmarc with { Result = DmarcResult.None, Disposition = DmarcRecord.None, Reason = $"not evaluated: {notEvaluated}" })
        {
            DmarcNotEvaluated = notEvaluated,
        };
    }

    /// <summary>A signature the body was not read for: neutral with its d= and s=; one that cannot be parsed is a permerror.</summary>
    private static DkimResult Unverified(string value, string why)
    {
        try
        {
            var tags = DkimTagList.Parse(value);
            return new DkimResult(DkimResult.Neutral, tags["d"] ?? "", tags["s"] ?? "", null, why);
        }
        catch (DkimFormatException e)
        {
            return new DkimResult(DkimResult.PermError, "", "", null, e.Message);
        }
    }

    /// <summary>RFC 7208 §2.4: the MAIL FROM identity, or the HELO identity (§2.3) for the null sender.</summary>
    private async Task<SpfOutcome> SpfAsync(MessageEnvelope envelope, CancellationToken ct)
    {
        var helo = envelope.Helo ?? "";
        if (!IPAddress.TryParse(envelope.ClientAddress, out var ip))
            return new SpfOutcome("none", "", Comment: "not checked: the client's address is unknown");
        if (envelope.Sender.Length == 0 && helo.Length == 0)
            return new SpfOutcome("none", "", "helo", Comment: "not checked: null sender and no HELO name");
        return SpfOutcome.Of(await _spf.CheckMailFromAsync(ip, envelope.Sender, helo, ct), ip, envelope.Sender, helo);
    }
}
