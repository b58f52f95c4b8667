using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>One line of a DMARC record lint: error, warning or info.</summary>
internal sealed record DmarcCheckFinding(string Severity, string Message)
{
    public const string Error = "error";
    public const string Warning = "warning";
    public const string Info = "info";
}

/// <summary>What <c>dmarc check dmarc DOMAIN</c> found: the record that applies, where, and the findings.</summary>
internal sealed record DmarcCheckReport(string Domain, DmarcRecord? Record, string? RecordDomain, IReadOnlyList<DmarcCheckFinding> Findings)
{
    public bool HasErrors => Findings.Any(f => f.Severity == DmarcCheckFinding.Error);
}

/// <summary>
/// Lints the DMARC record that applies to a domain: syntax, p/sp/np, alignment modes, report URIs and their
/// external-destination authorisation (RFC 9990: <c>domain._report._dmarc.destination</c>), and where the RFC 9989
/// tree walk and the Public Suffix List disagree.
/// </summary>
/// <param name="psl">The list for the comparison; null when it could not be loaded, <paramref name="pslError"/> says why.</param>
internal sealed class DmarcRecordCheck(IDnsResolver dns, PublicSuffixList? psl, string? pslError = null)
{
    public async Task<DmarcCheckReport> CheckAsync(string domainName, CancellationToken ct)
    {
        var findings = new List<DmarcCheckFinding>();
        void Add(string severity, string message) => findings.Add(new DmarcCheckFinding(severity, message));

        var domain = AuthorDomains.Normalize(domainName);
        if (domain is null)
        {
            Add(DmarcCheckFinding.Error, $"'{domainName}' is not a domain name");
            return new DmarcCheckReport(domainName, null, null, findings);
        }

        var own = await dns.TxtAsync("_dmarc." + domain, ct);
        if (own.Outcome == DnsOutcome.TempError)
        {
            Add(DmarcCheckFinding.Error, $"_dmarc.{domain}: DNS failure ({own.Error}); try again later");
            return new DmarcCheckReport(domain, null, null, findings);
        }
        var ownDmarc = own.Records.Count(DmarcRecord.IsDmarc);
        if (ownDmarc > 1)
            Add(DmarcCheckFinding.Error, $"_dmarc.{domain} has {ownDmarc} DMARC records; receivers ignore them all (RFC 9989)");
        foreach (var text in own.Records.Where(r => !DmarcRecord.IsDmarc(r) && r.Contains("DMARC", StringComparison.OrdinalIgnoreCase)))
            Add(DmarcCheckFinding.Error, $"_dmarc.{domain} has a record that does not start with v=DMARC1, ignored: {text}");

        var walk = new DmarcDiscovery(dns, DmarcDiscoveryMode.TreeWalk);
        DmarcPolicyLookup lookup;
        string organization;
        try
        {
            lookup = await walk.FindPolicyAsync(domain, ct);
            organization = await walk.OrganizationalDomainAsync(domain, ct);
        }
        catch (DmarcTempErrorException e)
        {
            Add(DmarcCheckFinding.Error, $"DNS failure during the tree walk: {e.Message}");
            return new DmarcCheckReport(domain, null, null, findings);
        }
        if (lookup.TempError is not null)
        {
            Add(DmarcCheckFinding.Error, $"DNS failure during the tree walk: {lookup.TempError}");
            return new DmarcCheckReport(domain, null, null, findings);
        }
        if (lookup.Record is not { } record)
        {
            Add(DmarcCheckFinding.Error, $"no DMARC record applies to {domain} (tree walk from _dmarc.{domain} upwards)");
            await CompareWithPslAsync(domain, null, organization, Add, ct);
            return new DmarcCheckReport(domain, null, null, findings);
        }

        var recordDomain = lookup.RecordDomain!;
        if (recordDomain != domain)
            Add(DmarcCheckFinding.Info, $"no record at _dmarc.{domain}; the record at _dmarc.{recordDomain} applies, with its sp=/np=");
        Add(DmarcCheckFinding.Info, $"organisational domain (tree walk): {organization}");
        foreach (var warning in record.Warnings)
            Add(DmarcCheckFinding.Warning, warning);
        if (record.Usable is null)
            Add(DmarcCheckFinding.Error,
                $"{record.PolicyError} and no valid rua=: receivers apply no DMARC processing to mail from {domain} (RFC 9989 §4.10.1)");
        Add(DmarcCheckFinding.Info,
            $"p={record.Policy.Word()} sp={(record.SubdomainPolicy ?? record.Policy).Word()} np={(record.NonExistentPolicy ?? record.SubdomainPolicy ?? record.Policy).Word()} " +
            $"adkim={(record.StrictDkim ? "s" : "r")} aspf={(record.StrictSpf ? "s" : "r")} t={(record.Testing ? "y" : "n")} psd={record.Psd}");
        if (record.Policy == DmarcPolicy.None)
            Add(DmarcCheckFinding.Info, "p=none: monitoring only, receivers take no action on failing mail");
        if (record.Testing)
            Add(DmarcCheckFinding.Warning, "t=y: testing mode, receivers apply one policy level lower");
        if (record.AggregateUris.Count == 0)
            Add(DmarcCheckFinding.Warning, "no rua=: nobody will send aggregate reports");

        foreach (var (tag, uris) in new[] { ("rua", record.AggregateUris), ("ruf", record.FailureUris) })
            foreach (var uri in uris)
                await CheckDestinationAsync(tag, uri, recordDomain, organization, walk, Add, ct);

        await CompareWithPslAsync(domain, recordDomain, organization, Add, ct);
        return new DmarcCheckReport(domain, record, recordDomain, findings);
    }

    // RFC 9990, verifying external destinations: a report address outside the organisation must publish
    // "<record domain>._report._dmarc.<destination>" with v=DMARC1, or receivers will not send there.
    private async Task CheckDestinationAsync(string tag, string uri, string recordDomain, string organization, DmarcDiscovery walk,
        Action<string, string> add, CancellationToken ct)
    {
        var address = uri["mailto:".Length..].Split('?')[0];
        var destination = AuthorDomains.Normalize(address[(address.LastIndexOf('@') + 1)..]);
        if (destination is null)
        {
            add(DmarcCheckFinding.Error, $"{tag}: '{uri}' has no usable domain");
            return;
        }
        string destinationOrganization;
        try
        {
            destinationOrganization = await walk.OrganizationalDomainAsync(destination, ct);
        }
        catch (DmarcTempErrorException e)
        {
            add(DmarcCheckFinding.Warning, $"{tag}: cannot tell whether {destination} is external: {e.Message}");
            return;
        }
        if (destinationOrganization == organization)
            return;
        var name = $"{recordDomain}._report._dmarc.{destination}";
        var answer = await dns.TxtAsync(name, ct);
        if (answer.Outcome == DnsOutcome.TempError)
            add(DmarcCheckFinding.Warning, $"{tag}: {name}: DNS failure ({answer.Error})");
        else if (answer.Records.Any(DmarcRecord.IsDmarc))
            add(DmarcCheckFinding.Info, $"{tag}: external destination {destination} authorises reports ({name})");
        else
            add(DmarcCheckFinding.Error, $"{tag}: external destination {destination} has not authorised reports for {recordDomain}: no v=DMARC1 record at {name}");
    }

    private async Task CompareWithPslAsync(string domain, string? recordDomain, string organization, Action<string, string> add, CancellationToken ct)
    {
        if (psl is null)
        {
            add(DmarcCheckFinding.Info, $"Public Suffix List comparison skipped: {pslError ?? "no list"}");
            return;
        }
        var old = new DmarcDiscovery(dns, DmarcDiscoveryMode.PublicSuffixList, psl);
        var pslOrganization = await old.OrganizationalDomainAsync(domain, ct);
        var pslLookup = await old.FindPolicyAsync(domain, ct);
        if (pslOrganization != organization)
            add(DmarcCheckFinding.Warning,
                $"tree walk and Public Suffix List disagree: organisational domain {organization} (RFC 9989) but {pslOrganization} (PSL, RFC 7489 receivers)");
        if (pslLookup.TempError is null && pslLookup.RecordDomain != recordDomain)
            add(DmarcCheckFinding.Warning,
                $"tree walk and Public Suffix List disagree: policy from {Where(recordDomain)} (RFC 9989) but from {Where(pslLookup.RecordDomain)} (PSL, RFC 7489 receivers)");
    }

    private static string Where(string? recordDomain) => recordDomain is null ? "no record" : "_dmarc." + recordDomain;
}
