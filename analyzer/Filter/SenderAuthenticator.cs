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
        return await _message.AuthenticateAsync(message, spf, ct);
    }

    /// <summary>
    /// SPF and DMARC from the envelope and the header fields alone, for a message too large to read whole
    /// (<paramref name="headers"/> as the MTA sent them, raw bytes as Latin-1 chars). DKIM cannot be verified without
    /// the body, so no signature counts: one dkim=none result says <paramref name="why"/>.
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
        return new MessageAuthentication(spf, [new DkimResult(DkimResult.None, "", "", null, why)], dmarc);
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
