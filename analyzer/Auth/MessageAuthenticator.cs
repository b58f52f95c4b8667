using System.Net;
using System.Text;
using DmarcAnalyzer.Auth.Arc;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;
using MimeKit;

namespace DmarcAnalyzer.Auth;

/// <summary>
/// SPF, DKIM, DMARC and ARC for one message through one resolver (for the milter, local zone files answer first, so an
/// administrator can give SPF records to partners who publish none). Two entries: the whole message, its header block
/// read once (From and the signatures) and its body streamed through the DKIM hashers; and the header fields alone, for
/// a message too large to read whole. <see cref="AuthservId"/> names us in the Authentication-Results field and is
/// SPF's receiving domain (RFC 7208 §7.3, %{r}).
/// </summary>
internal sealed class MessageAuthenticator(IDnsResolver dns, string authservId, DmarcDiscoveryMode mode = DmarcDiscoveryMode.TreeWalk,
    PublicSuffixList? psl = null, TimeProvider? time = null)
{
    private readonly SpfEvaluator _spf = new(dns, authservId, time);
    private readonly DmarcEvaluator _dmarc = new(dns, mode, psl);
    private readonly ArcChainVerifier _arc = new(dns);

    public string AuthservId => authservId;

    /// <summary>
    /// Checks the whole message (header block, blank line, body), read from its current position; the stream must be
    /// seekable, as the ARC chain is then checked over the message parsed by MimeKit.
    /// </summary>
    public async Task<MessageAuthentication> AuthenticateAsync(SmtpIdentities smtp, Stream message, CancellationToken ct)
    {
        var spf = await CheckSpfAsync(smtp, ct);
        return await AuthenticateAsync(message, spf, ct) with { ClientAddress = smtp.ClientAddress };
    }

    /// <summary>As above, with SPF evaluated elsewhere (a peer's verdict replayed, or SPF not checked).</summary>
    public async Task<MessageAuthentication> AuthenticateAsync(Stream message, SpfOutcome spf, CancellationToken ct)
    {
        var start = message.Position;
        var reader = await RawMessageReader.ReadHeaderAsync(message, ct);
        var from = FromFieldValues(reader.Fields.Select(f => (f.Name, f.Value)));
        var dkim = await new DkimVerifier(dns, time).VerifyAsync(reader, ct);
        var dmarc = await _dmarc.EvaluateAsync(from, spf, dkim, ct);
        message.Position = start;
        // Most mail carries no ARC field: it is not parsed a second time for a chain it cannot have.
        var arc = reader.Fields.Any(f => f.Name.StartsWith("ARC-", StringComparison.OrdinalIgnoreCase))
            ? await VerifyArcAsync(message, ct)
            : ArcResult.None;
        return new MessageAuthentication(spf, dkim, dmarc) { Arc = arc };
    }

    /// <summary>
    /// SPF and DMARC from the SMTP identities and the header fields alone, for a message too large to read whole
    /// (<paramref name="headers"/> as the MTA sent them, raw bytes as Latin-1 chars). DKIM cannot be verified without
    /// the body. Without a signature that is dkim=none; a signature that could not be checked is dkim=neutral
    /// (RFC 8601 §2.7.1), its comment saying <paramref name="why"/>. A DMARC fail that such a signature could have
    /// turned into a pass is no result: DMARC is left unevaluated, dmarc=none, never a fail to enforce.
    /// </summary>
    public async Task<MessageAuthentication> AuthenticateHeaderAsync(SmtpIdentities smtp, IReadOnlyList<(string Name, string Value)> headers,
        string why, CancellationToken ct)
    {
        var spf = await CheckSpfAsync(smtp, ct);
        var dmarc = await _dmarc.EvaluateAsync(FromFieldValues(headers), spf, [], ct);
        var dkim = headers.Where(h => h.Name.Equals("DKIM-Signature", StringComparison.OrdinalIgnoreCase))
            .Take(DkimVerifier.MaxSignatures)
            .Select(h => Unverified(h.Value, why))
            .ToList();
        if (dkim.Count == 0)
            return new MessageAuthentication(spf, [new DkimResult(DkimResultCode.None, "", "", null, why)], dmarc);
        if (dmarc.Result != DmarcResultCode.Fail || !dkim.Any(d => d.Result == DkimResultCode.Neutral && dmarc.CouldAlignDkim(d.Domain)))
            return new MessageAuthentication(spf, dkim, dmarc);
        // DMARC's "none" (RFC 9989's Authentication-Results registration): no aligned identifier could be extracted,
        // as the signature that may be one could not be verified. "fail" would say none of the mechanisms passed,
        // which is not known; the errors speak of DNS and of records, which are not at fault.
        var notEvaluated = "a DKIM signature that could align was not verified and SPF does not align";
        return new MessageAuthentication(spf, dkim, dmarc with { Result = DmarcResultCode.None, Disposition = DmarcPolicy.None, Reason = $"not evaluated: {notEvaluated}" })
        {
            DmarcNotEvaluated = notEvaluated,
        };
    }

    /// <summary>RFC 7208 §2.4: the MAIL FROM identity, or the HELO identity (§2.3) for the null sender.</summary>
    private async Task<SpfOutcome> CheckSpfAsync(SmtpIdentities smtp, CancellationToken ct)
    {
        var helo = smtp.Helo ?? "";
        if (!IPAddress.TryParse(smtp.ClientAddress, out var ip))
            return SpfOutcome.NotChecked("the client's address is unknown");
        if (smtp.MailFrom.Length == 0 && helo.Length == 0)
            return SpfOutcome.NotChecked("null sender and no HELO name", SpfIdentity.Helo);
        return SpfOutcome.Of(await _spf.CheckMailFromAsync(ip, smtp.MailFrom, helo, ct), ip, smtp.MailFrom, helo);
    }

    /// <summary>The From field values; raw fields are Latin-1 for exact DKIM hashing, an internationalised From is UTF-8 (RFC 6532).</summary>
    private static List<string> FromFieldValues(IEnumerable<(string Name, string Value)> fields) =>
        fields.Where(f => f.Name.Equals("From", StringComparison.OrdinalIgnoreCase))
            .Select(f => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(f.Value)))
            .ToList();

    /// <summary>A signature the body was not read for: neutral with its d= and s=; one that cannot be parsed is a permerror.</summary>
    private static DkimResult Unverified(string value, string why)
    {
        try
        {
            var tags = DkimTagList.Parse(value);
            return new DkimResult(DkimResultCode.Neutral, tags["d"] ?? "", tags["s"] ?? "", null, why);
        }
        catch (DkimFormatException e)
        {
            return new DkimResult(DkimResultCode.PermError, "", "", null, e.Message);
        }
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
