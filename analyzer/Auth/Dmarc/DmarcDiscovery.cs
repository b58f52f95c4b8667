using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>How policy records and organisational domains are found.</summary>
internal enum DmarcDiscoveryMode
{
    /// <summary>RFC 9989 DNS tree walk: the DNS tree walk over _dmarc records.</summary>
    TreeWalk,

    /// <summary>RFC 7489 §3.2, §6.6.3: the Public Suffix List, for comparison with older receivers.</summary>
    PublicSuffixList,
}

/// <summary>The policy record that applies to a domain, where it was found, or why none could be.</summary>
internal sealed record DmarcPolicyLookup(DmarcRecord? Record, string? RecordDomain, string? TempError);

/// <summary>
/// Finds DMARC policy records and organisational domains for one evaluation. TXT answers are kept for
/// the life of the instance, so alignment checks do not repeat the policy walk's queries.
/// </summary>
internal sealed class DmarcDiscovery
{
    /// <summary>RFC 9989 DNS tree walk: a walk longer than 8 labels jumps to the last 7 first.</summary>
    private const int MaxWalkLabels = 7;

    private readonly IDnsResolver _dns;
    private readonly PublicSuffixList? _psl;
    private readonly Dictionary<string, (DmarcRecord? Record, string? TempError)> _answers = new(StringComparer.Ordinal);

    public DmarcDiscovery(IDnsResolver dns, DmarcDiscoveryMode mode, PublicSuffixList? psl = null)
    {
        if (mode == DmarcDiscoveryMode.PublicSuffixList && psl is null)
            throw new ArgumentException("Public Suffix List mode needs the list", nameof(psl));
        _dns = dns;
        Mode = mode;
        _psl = psl;
    }

    public DmarcDiscoveryMode Mode { get; }

    /// <summary>RFC 9989 policy discovery (or RFC 7489 §6.6.3 in PSL mode): the first policy record from the domain upwards.</summary>
    public async Task<DmarcPolicyLookup> FindPolicyAsync(string domain, CancellationToken ct)
    {
        var targets = Mode == DmarcDiscoveryMode.TreeWalk
            ? WalkTargets(domain)
            : new[] { domain, _psl!.OrganizationalDomain(domain) }.Distinct().ToList();
        foreach (var target in targets)
        {
            var (record, error) = await RecordAtAsync(target, ct);
            if (error is not null)
                return new DmarcPolicyLookup(null, null, error);
            if (record is not null)
                return new DmarcPolicyLookup(record, target, null);
        }
        return new DmarcPolicyLookup(null, null, null);
    }

    /// <summary>The organisational domain; throws <see cref="DmarcTempErrorException"/> when DNS fails mid-walk.</summary>
    public async Task<string> OrganizationalDomainAsync(string domain, CancellationToken ct)
    {
        if (Mode == DmarcDiscoveryMode.PublicSuffixList)
            return _psl!.OrganizationalDomain(domain);

        // RFC 9989, identifying the organisational domain: stop at psd=n (that domain) or psd=y above the start (one label below it);
        // otherwise the record with the fewest labels; with no record at all, the domain itself.
        var targets = WalkTargets(domain);
        var labels = domain.Split('.');
        string? highest = null;
        foreach (var target in targets)
        {
            var (record, error) = await RecordAtAsync(target, ct);
            if (error is not null)
                throw new DmarcTempErrorException(error);
            if (record is null)
                continue;
            if (record.Psd == 'n')
                return target;
            if (record.Psd == 'y' && target != domain)
                return string.Join('.', labels[^(target.Split('.').Length + 1)..]);
            highest = target;
        }
        return highest ?? domain;
    }

    /// <summary>RFC 9989 DNS tree walk: the domain, then (jumping to 7 labels if it has 8 or more) each parent down to the top-level label.</summary>
    public static List<string> WalkTargets(string domain)
    {
        var labels = domain.Split('.');
        var targets = new List<string> { domain };
        var count = Math.Min(labels.Length - 1, MaxWalkLabels);
        for (; count >= 1; count--)
            targets.Add(string.Join('.', labels[^count..]));
        return targets;
    }

    private async Task<(DmarcRecord? Record, string? TempError)> RecordAtAsync(string domain, CancellationToken ct)
    {
        if (_answers.TryGetValue(domain, out var cached))
            return cached;
        var lookup = await _dns.TxtAsync("_dmarc." + domain, ct);
        (DmarcRecord?, string?) answer = lookup.Outcome switch
        {
            DnsOutcome.TempError => (null, $"_dmarc.{domain}: {lookup.Error ?? "DNS failure"}"),
            DnsOutcome.Found => (Single(lookup.Records), null),
            _ => (null, null),
        };
        _answers[domain] = answer;
        return answer;
    }

    // RFC 9989 DNS tree walk: records not starting with v=DMARC1 are dropped; more than one left means none applies.
    private static DmarcRecord? Single(IReadOnlyList<string> records)
    {
        var dmarc = records.Where(DmarcRecord.IsDmarc).Take(2).ToList();
        return dmarc.Count == 1 ? DmarcRecord.Parse(dmarc[0]) : null;
    }
}

/// <summary>A DNS failure in the middle of DMARC discovery: the result is temperror.</summary>
internal sealed class DmarcTempErrorException(string message) : Exception(message);
