using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>
/// DMARC evaluation (RFC 9989): author domain, policy discovery, identifier alignment, and the policy that applies.
/// Takes SPF and DKIM as already evaluated; asks DNS only for _dmarc records and, for np=, whether the domain exists.
/// </summary>
internal sealed class DmarcEvaluator(IDnsResolver dns, DmarcDiscoveryMode mode = DmarcDiscoveryMode.TreeWalk, PublicSuffixList? psl = null)
{
    /// <summary>Evaluates a message given the value of each of its From fields.</summary>
    public async Task<DmarcResult> EvaluateAsync(IReadOnlyList<string> fromFieldValues, SpfOutcome spf, IReadOnlyList<DkimResult> dkim, CancellationToken ct)
    {
        var authors = AuthorDomains.Find(fromFieldValues);
        if (authors.Error is not null)
            return new DmarcResult(DmarcResultCode.PermError, null, null, null, null, DmarcPolicy.None, Reason: authors.Error, DiscoveryMode: mode);
        DmarcResult? strictest = null;
        // RFC 9989: several From domains are each evaluated and the strictest outcome is taken.
        foreach (var domain in authors.Domains)
        {
            var result = await EvaluateDomainAsync(domain, spf, dkim, ct);
            if (strictest is null || Strictness(result) > Strictness(strictest))
                strictest = result;
        }
        return strictest!;
    }

    /// <summary>Evaluates one author domain (already normalised or not).</summary>
    public async Task<DmarcResult> EvaluateDomainAsync(string fromDomain, SpfOutcome spf, IReadOnlyList<DkimResult> dkim, CancellationToken ct)
    {
        var domain = AuthorDomains.Normalize(fromDomain);
        if (domain is null)
            return new DmarcResult(DmarcResultCode.PermError, fromDomain, null, null, null, DmarcPolicy.None, Reason: $"'{fromDomain}' is not a domain name", DiscoveryMode: mode);
        var discovery = new DmarcDiscovery(dns, mode, psl);
        try
        {
            var lookup = await discovery.FindPolicyAsync(domain, ct);
            if (lookup.TempError is not null)
                return new DmarcResult(DmarcResultCode.TempError, domain, null, null, null, DmarcPolicy.None, Reason: lookup.TempError, DiscoveryMode: mode);
            if (lookup.Record is not { } published)
                return new DmarcResult(DmarcResultCode.None, domain, null, null, null, DmarcPolicy.None, Reason: "no DMARC policy record", DiscoveryMode: mode);
            if (published.Usable is not { } record)
                return new DmarcResult(DmarcResultCode.None, domain, null, null, null, DmarcPolicy.None, lookup.RecordDomain,
                    Reason: $"the record at _dmarc.{lookup.RecordDomain} has {published.PolicyError} and no valid rua=: no DMARC processing (RFC 9989 §4.10.1)",
                    DiscoveryMode: mode);

            var organization = await discovery.OrganizationalDomainAsync(domain, ct);
            var spfMode = record.StrictSpf ? AlignmentMode.Strict : AlignmentMode.Relaxed;
            var dkimMode = record.StrictDkim ? AlignmentMode.Strict : AlignmentMode.Relaxed;
            var spfAligned = spf.Result == SpfResultCode.Pass
                && await IdentifierAlignment.AlignedAsync(discovery, domain, organization, spf.Domain, spfMode, ct);
            string? dkimDomain = null;
            foreach (var signature in dkim.Where(d => d.Result == DkimResultCode.Pass))
            {
                if (await IdentifierAlignment.AlignedAsync(discovery, domain, organization, signature.Domain, dkimMode, ct))
                {
                    dkimDomain = signature.Domain;
                    break;
                }
            }
            var (policy, source) = await ApplicablePolicyAsync(record, lookup.RecordDomain!, domain, ct);
            var pass = spfAligned || dkimDomain is not null;
            // RFC 9989 drops pct; an old pct=0 meant what t=y means now.
            var testing = record.Testing || record.Percent == 0;
            var result = new DmarcResult(
                pass ? DmarcResultCode.Pass : DmarcResultCode.Fail, domain, organization, policy, source,
                pass ? DmarcPolicy.None : testing ? OneLevelLower(policy) : policy,
                lookup.RecordDomain, testing, record.Percent, spfAligned, dkimDomain is not null, dkimDomain, DiscoveryMode: mode)
            {
                SpfAlignment = spfMode,
                DkimAlignment = dkimMode,
            };
            var failure = pass ? null : "neither SPF nor DKIM passed aligned with the From domain";
            var substituted = published.PolicyError is { } error ? $"{error} in the record: read as p=none, as it has a valid rua= (RFC 9989 §4.10.1)" : null;
            var notes = new[] { failure, substituted, result.PercentNote }.OfType<string>().ToList();
            return result with { Reason = notes.Count == 0 ? null : string.Join("; ", notes), Record = record };
        }
        catch (DmarcTempErrorException e)
        {
            return new DmarcResult(DmarcResultCode.TempError, domain, null, null, null, DmarcPolicy.None, Reason: e.Message, DiscoveryMode: mode);
        }
    }

    // RFC 9989 p/sp/np: the record's own domain gets p; a subdomain gets sp, or np when it does not exist.
    private async Task<(DmarcPolicy Policy, string Source)> ApplicablePolicyAsync(DmarcRecord record, string recordDomain, string domain, CancellationToken ct)
    {
        if (recordDomain == domain)
            return (record.Policy, "p");
        if (record.NonExistentPolicy is { } np && await NonExistentAsync(domain, ct))
            return (np, "np");
        return record.SubdomainPolicy is { } sp ? (sp, "sp") : (record.Policy, "p");
    }

    // RFC 9989 §3.2.13 and Appendix A.4: a domain does not exist only when the DNS answers NXDOMAIN (RFC 8020). Any
    // record makes it exist: a NODATA answer (a name with only TXT, or an empty non-terminal) is an existing domain, so
    // the old "no A, AAAA or MX" test of RFC 9091 is not applied. One query of any type tells NXDOMAIN apart.
    private async Task<bool> NonExistentAsync(string domain, CancellationToken ct)
    {
        var a = await dns.AAsync(domain, ct);
        if (a.Outcome == DnsOutcome.TempError)
            throw new DmarcTempErrorException($"{domain} A: {a.Error}");
        return a.Outcome == DnsOutcome.NxDomain;
    }

    private static DmarcPolicy OneLevelLower(DmarcPolicy policy) => policy switch
    {
        DmarcPolicy.Reject => DmarcPolicy.Quarantine,
        _ => DmarcPolicy.None,
    };

    private static int Strictness(DmarcResult r) =>
        (r.Result == DmarcResultCode.Fail ? 10 : r.Result is DmarcResultCode.TempError or DmarcResultCode.PermError ? 5 : 0)
        + r.Disposition.Strictness();
}
