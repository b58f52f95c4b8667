using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Auth.Spf;

/// <summary>A record in the include/redirect tree, with the DNS-querying terms it holds itself.</summary>
internal sealed record SpfLintNode(string Via, string Domain, string? Record, int DnsTerms, IReadOnlyList<SpfLintNode> Children);

/// <summary>
/// The lint of one domain's SPF: the tree, the totals against the RFC 7208 §4.6.4 limits (counted over every
/// branch, so an upper bound on what one evaluation uses), warnings, and errors that make evaluation fail.
/// </summary>
internal sealed record SpfLintReport(SpfLintNode? Root, int DnsTerms, int VoidLookups, IReadOnlyList<string> Warnings, IReadOnlyList<string> Errors)
{
    public bool Holds => Errors.Count == 0;

    /// <summary>A DNS query of the tree failed (timeout, SERVFAIL, no server): the lint is incomplete, not the record wrong.</summary>
    public bool DnsTrouble { get; init; }
}

/// <summary>Expands a domain's SPF record tree and checks it against RFC 7208's limits and common mistakes.</summary>
internal sealed class SpfLinter(IDnsResolver dns)
{
    /// <summary>RFC 7208 §3.4: a record that fits 512 octets fits a UDP answer without EDNS0.</summary>
    public const int RecordSizeAdvice = 512;

    private const int MaxDepth = 20;

    public async Task<SpfLintReport> LintAsync(string domain, CancellationToken ct)
    {
        var walk = new Walk(ct);
        var root = await NodeAsync(walk, "", DnsName.Normalize(domain), [], 0);
        if (walk.Terms > SpfEvaluator.MaxDnsTerms)
            walk.Errors.Add($"{walk.Terms} DNS-querying terms in the tree; RFC 7208 §4.6.4 allows {SpfEvaluator.MaxDnsTerms}, beyond that evaluation gives permerror");
        if (walk.Voids > SpfEvaluator.MaxVoidLookups)
            walk.Errors.Add($"{walk.Voids} void lookups in the tree; RFC 7208 §4.6.4 allows {SpfEvaluator.MaxVoidLookups}, beyond that evaluation gives permerror");
        return new SpfLintReport(root, walk.Terms, walk.Voids, walk.Warnings, walk.Errors) { DnsTrouble = walk.DnsTrouble };
    }

    private sealed class Walk(CancellationToken ct)
    {
        public CancellationToken Ct { get; } = ct;
        public int Terms { get; set; }
        public int Voids { get; set; }
        public bool DnsTrouble { get; set; }
        public List<string> Warnings { get; } = [];
        public List<string> Errors { get; } = [];
    }

    private async Task<SpfLintNode?> NodeAsync(Walk walk, string via, string domain, HashSet<string> path, int depth)
    {
        var where = via.Length == 0 ? domain : via;
        if (depth > MaxDepth)
        {
            walk.Errors.Add($"{where}: includes nested deeper than {MaxDepth}");
            return null;
        }
        if (!path.Add(domain))
        {
            walk.Errors.Add($"{where}: loop back to {domain}");
            return null;
        }
        try
        {
            var txt = await dns.TxtAsync(domain, walk.Ct);
            if (txt.Outcome == DnsOutcome.TempError)
            {
                walk.DnsTrouble = true;
                walk.Errors.Add($"{where}: the DNS could not answer for {domain} ({txt.Error ?? "temporary error"}); nothing is known about its SPF record");
                return null;
            }
            var records = txt.Records.Where(SpfRecord.IsSpf).ToList();
            if (records.Count == 0)
            {
                // RFC 7208 §4.3 and §4.5: a domain that does not exist and one without an SPF record are different answers.
                var why = txt.Outcome switch
                {
                    DnsOutcome.NxDomain => "the domain does not exist (NXDOMAIN)",
                    DnsOutcome.NoData => "the domain exists but has no TXT records",
                    _ => $"none of its {txt.Records.Count} TXT record{(txt.Records.Count == 1 ? " is" : "s is")} an SPF record (v=spf1)",
                };
                walk.Errors.Add(via.Length == 0
                    ? $"{domain}: no SPF record: {why}"
                    : $"{via}: {domain} has no SPF record ({why}), so evaluation gives permerror (RFC 7208 §5.2, §6.1)");
                return null;
            }
            if (records.Count > 1)
            {
                walk.Errors.Add($"{domain}: {records.Count} SPF records; RFC 7208 §4.5 makes that permerror");
                return new SpfLintNode(via, domain, string.Join(" | ", records), 0, []);
            }
            var text = records[0];
            if (System.Text.Encoding.UTF8.GetByteCount(text) > RecordSizeAdvice)
                walk.Warnings.Add($"{domain}: the record is {System.Text.Encoding.UTF8.GetByteCount(text)} bytes; keep it under {RecordSizeAdvice} (RFC 7208 §3.4)");
            SpfRecord record;
            try
            {
                record = SpfRecord.Parse(text);
            }
            catch (SpfSyntaxException e)
            {
                walk.Errors.Add($"{domain}: invalid record: {e.Message}");
                return new SpfLintNode(via, domain, text, 0, []);
            }
            return await ExpandAsync(walk, via, domain, text, record, path, depth);
        }
        finally
        {
            path.Remove(domain);
        }
    }

    private async Task<SpfLintNode> ExpandAsync(Walk walk, string via, string domain, string text, SpfRecord record, HashSet<string> path, int depth)
    {
        var children = new List<SpfLintNode>();
        var terms = 0;
        foreach (var mechanism in record.Mechanisms)
        {
            if (mechanism.QueriesDns)
                terms++;
            var target = mechanism.DomainSpec is null ? domain
                : mechanism.DomainSpec.Contains('%') ? null
                : SpfMacro.ToDomain(mechanism.DomainSpec.ToLowerInvariant());
            switch (mechanism.Kind)
            {
                case SpfMechanismKind.All when mechanism.Qualifier is SpfResultCode.Pass or SpfResultCode.Neutral:
                    walk.Warnings.Add($"{domain}: '{mechanism.Text}' lets {(mechanism.Qualifier == SpfResultCode.Pass ? "any host pass" : "any host through as neutral")}");
                    break;
                case SpfMechanismKind.Ptr:
                    walk.Warnings.Add($"{domain}: '{mechanism.Text}' is deprecated: slow, unreliable, and receivers may skip it (RFC 7208 §5.5)");
                    break;
                case SpfMechanismKind.Ip4 when mechanism.Cidr4 < 16:
                case SpfMechanismKind.Ip6 when mechanism.Cidr6 < 32:
                    walk.Warnings.Add($"{domain}: '{mechanism.Text}' authorises a very broad range");
                    break;
                case SpfMechanismKind.Include when target is null:
                case SpfMechanismKind.Exists when target is null:
                    walk.Warnings.Add($"{domain}: '{mechanism.Text}' uses macros; its target depends on the message and is not followed");
                    break;
                case SpfMechanismKind.Include:
                    if (await NodeAsync(walk, mechanism.Text, target!, path, depth + 1) is { } child)
                        children.Add(child);
                    break;
                case SpfMechanismKind.A when target is not null:
                    var v4 = await dns.AAsync(target, walk.Ct);
                    var v6 = await dns.AaaaAsync(target, walk.Ct);
                    if (v4.Outcome is DnsOutcome.NxDomain or DnsOutcome.NoData && v6.Outcome is DnsOutcome.NxDomain or DnsOutcome.NoData)
                        Void(walk, domain, mechanism, target);
                    break;
                case SpfMechanismKind.Mx when target is not null:
                    var mx = await dns.MxAsync(target, walk.Ct);
                    if (mx.Outcome is DnsOutcome.NxDomain or DnsOutcome.NoData)
                        Void(walk, domain, mechanism, target);
                    else if (mx.Records.Count > SpfEvaluator.MaxNames)
                        walk.Errors.Add($"{domain}: '{mechanism.Text}' has {mx.Records.Count} MX names; more than {SpfEvaluator.MaxNames} is permerror (RFC 7208 §4.6.4)");
                    break;
                case SpfMechanismKind.Exists:
                    if ((await dns.AAsync(target!, walk.Ct)).Outcome is DnsOutcome.NxDomain or DnsOutcome.NoData)
                        Void(walk, domain, mechanism, target!);
                    break;
            }
        }
        if (record.Redirect is { } redirect)
        {
            terms++;
            if (record.Mechanisms.Any(m => m.Kind == SpfMechanismKind.All))
                walk.Warnings.Add($"{domain}: redirect={redirect} is never used, because 'all' always matches first (RFC 7208 §6.1)");
            else if (redirect.Contains('%'))
                walk.Warnings.Add($"{domain}: redirect={redirect} uses macros and is not followed");
            else if (await NodeAsync(walk, "redirect=" + redirect, SpfMacro.ToDomain(redirect.ToLowerInvariant()), path, depth + 1) is { } child)
                children.Add(child);
        }
        walk.Terms += terms;
        return new SpfLintNode(via, domain, text, terms, children);
    }

    private static void Void(Walk walk, string domain, SpfMechanism mechanism, string target)
    {
        walk.Voids++;
        walk.Warnings.Add($"{domain}: '{mechanism.Text}' finds nothing at {target} (a void lookup, RFC 7208 §4.6.4)");
    }
}
