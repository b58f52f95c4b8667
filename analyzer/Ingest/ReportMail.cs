using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// The mail a report came in, as far as its authenticity goes: the domain of its From, and the result of each of its
/// DKIM signatures (our verifier, RFC 6376 and RFC 8301). Which reports it vouches for is decided per report
/// (<see cref="AuthenticateAsync"/>), since an aggregate report names its sender a second time.
/// </summary>
internal sealed record ReportMail(string? FromDomain, IReadOnlyList<DkimResult> Signatures)
{
    /// <summary>Verifies the mail's signatures over <paramref name="dns"/>; a header block our reader refuses counts as one failed signature.</summary>
    public static async Task<ReportMail> CheckAsync(ReadOnlyMemory<byte> message, IDnsResolver dns, CancellationToken ct)
    {
        RawMessageReader reader;
        try
        {
            reader = await RawMessageReader.ReadHeaderAsync(MemoryStreams.Open(message), ct);
        }
        catch (DkimFormatException e)
        {
            return new ReportMail(null, [new DkimResult(DkimResultCode.PermError, "", "", null, e.Message)]);
        }
        var from = reader.Fields.Where(f => f.Name.Equals("From", StringComparison.OrdinalIgnoreCase)).Select(f => f.Value).ToList();
        var authors = AuthorDomains.Find(from);
        var fromDomain = authors.Domains.Count == 1 ? authors.Domains[0] : null;
        var signatures = await new DkimVerifier(new MessageDns(dns)).VerifyAsync(reader, ct);
        return new ReportMail(fromDomain, signatures);
    }

    /// <summary>
    /// The verdict for one report of this mail. <paramref name="reportEmail"/>: an aggregate report's
    /// report_metadata/email, whose domain must be vouched for as well as the From's (null for TLS and failure reports).
    /// </summary>
    public async Task<ReportAuthentication> AuthenticateAsync(string? reportEmail, IDnsResolver dns, CancellationToken ct)
    {
        var passing = Signatures.Where(s => s.Result == DkimResultCode.Pass)
            .Select(s => AuthorDomains.Normalize(s.Domain)).OfType<string>().Distinct().ToList();
        if (Signatures.Count == 0)
            return Result(ReportAuthVerdict.Unsigned);

        var senders = new List<string>();
        if (FromDomain is not null)
            senders.Add(FromDomain);
        if (reportEmail is not null)
        {
            // An aggregate report without a usable email domain names no sender a signature could vouch for.
            if (EmailDomain(reportEmail) is not { } emailDomain)
                senders.Clear();
            else if (FromDomain is not null && !senders.Contains(emailDomain))
                senders.Add(emailDomain);
        }

        // RFC 9989 relaxed alignment against each sender's organisational domain (the DNS tree walk).
        var discovery = new DmarcDiscovery(dns, DmarcDiscoveryMode.TreeWalk);
        var organizations = new Dictionary<string, string>();
        try
        {
            foreach (var sender in passing.Count > 0 ? senders : [])
                organizations[sender] = await discovery.OrganizationalDomainAsync(sender, ct);
            foreach (var domain in passing)
            {
                var aligned = senders.Count > 0;
                foreach (var sender in senders)
                    aligned = aligned && await IdentifierAlignment.AlignedAsync(discovery, sender, organizations[sender], domain, AlignmentMode.Relaxed, ct);
                if (aligned)
                    return Result(ReportAuthVerdict.Verified);
            }
        }
        catch (DmarcTempErrorException)
        {
            return Result(ReportAuthVerdict.DnsUnavailable);
        }

        bool SendersOwn(string d) => senders.Count > 0 && senders.All(s =>
            IdentifierAlignment.CouldAlign(d, s, organizations.GetValueOrDefault(s, s), AlignmentMode.Relaxed));
        var own = Signatures.Where(s => SendersOwn(s.Domain)).ToList();
        if (own.Any(s => s.Result == DkimResultCode.TempError))
            return Result(ReportAuthVerdict.DnsUnavailable);
        if (own.Any(s => s.Result != DkimResultCode.Pass))
            return Result(ReportAuthVerdict.Failed);
        if (passing.Count > 0)
            return Result(ReportAuthVerdict.SignedOtherDomain);
        return Result(Signatures.Any(s => s.Result == DkimResultCode.TempError) ? ReportAuthVerdict.DnsUnavailable : ReportAuthVerdict.Failed);

        ReportAuthentication Result(ReportAuthVerdict verdict) => new(verdict, passing, FromDomain);
    }

    /// <summary>The domain of a report_metadata email ("noreply-dmarc-support@google.com", at times with a display name).</summary>
    public static string? EmailDomain(string? email)
    {
        if (email is null)
            return null;
        var at = email.LastIndexOf('@');
        if (at < 0)
            return null;
        var domain = email[(at + 1)..].Trim().TrimEnd('>').Trim();
        return AuthorDomains.Normalize(domain);
    }
}
