using System.Net;
using System.Net.Sockets;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Auth.Spf;

/// <summary>
/// RFC 7208 check_host(). One instance serves any number of concurrent evaluations; each call keeps its own
/// counts. <paramref name="receiver"/> is %{r}, the host doing the check (§7.2); <paramref name="timeLimit"/>
/// bounds one evaluation (default <see cref="DefaultTimeLimit"/>).
/// </summary>
internal sealed class SpfEvaluator(IDnsResolver dns, string receiver = "unknown", TimeProvider? clock = null, TimeSpan? timeLimit = null)
{
    /// <summary>DNS-querying terms per evaluation (§4.6.4).</summary>
    public const int MaxDnsTerms = 10;

    /// <summary>Lookups answering NXDOMAIN or no records (§4.6.4).</summary>
    public const int MaxVoidLookups = 2;

    /// <summary>MX names one "mx" may look up (§4.6.4) and PTR names one "ptr" or %{p} considers (§5.5).</summary>
    public const int MaxNames = 10;

    /// <summary>RFC 7208 §4.6.4: an evaluation should give up with temperror after at least 20 seconds.</summary>
    public static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromSeconds(20);

    private const int MaxParsedRecords = 10_000;

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly TimeSpan _timeLimit = timeLimit ?? DefaultTimeLimit;

    /// <summary>Parsed records by their text: the same few records are evaluated over and over.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SpfRecord> _parsed = new(StringComparer.Ordinal);

    /// <summary>The MAIL FROM identity (§2.4); an empty reverse-path checks postmaster@HELO instead.</summary>
    public Task<SpfResult> CheckMailFromAsync(IPAddress ip, string mailFrom, string helo, CancellationToken ct)
    {
        if (mailFrom.Length == 0)
            return CheckHeloAsync(ip, helo, ct);
        var at = mailFrom.LastIndexOf('@');
        var domain = at < 0 ? mailFrom : mailFrom[(at + 1)..];
        return CheckHostAsync(ip, domain, mailFrom, helo, ct);
    }

    /// <summary>The HELO identity (§2.3): the domain is the HELO name, the sender postmaster@HELO.</summary>
    public Task<SpfResult> CheckHeloAsync(IPAddress ip, string helo, CancellationToken ct) =>
        CheckHostAsync(ip, helo, "postmaster@" + helo, helo, ct);

    /// <summary>check_host(ip, domain, sender) of §4, with the HELO name for %{h}.</summary>
    public async Task<SpfResult> CheckHostAsync(IPAddress ip, string domain, string sender, string helo, CancellationToken ct)
    {
        // An IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2) is an IPv4 client: A records and ip4 terms apply to it.
        if (ip.IsIPv4MappedToIPv6)
            ip = ip.MapToIPv4();
        var at = sender.LastIndexOf('@');
        var local = at < 0 ? "" : sender[..at];
        var senderDomain = at < 0 ? sender : sender[(at + 1)..];
        // §4.3: no local-part means "postmaster".
        var context = new SpfMacroContext(local.Length == 0 ? "postmaster" : local, senderDomain, domain, ip, helo, null,
            receiver, _clock.GetUtcNow().ToUnixTimeSeconds());
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_timeLimit);
        var evaluation = new Evaluation(context, deadline.Token);
        try
        {
            var verdict = await CheckAsync(evaluation, domain, wantExplanation: true);
            return new SpfResult(verdict.Code, verdict.Explanation, verdict.Mechanism, verdict.Reason, evaluation.Lookups, evaluation.Voids);
        }
        catch (SpfAbort abort)
        {
            return new SpfResult(abort.Code, null, null, abort.Message, evaluation.Lookups, evaluation.Voids);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new SpfResult(SpfResultCode.TempError, null, null,
                $"evaluation took longer than {_timeLimit.TotalSeconds:0.###} s (RFC 7208 §4.6.4)", evaluation.Lookups, evaluation.Voids);
        }
    }

    private sealed class Evaluation(SpfMacroContext context, CancellationToken ct)
    {
        public SpfMacroContext Context { get; } = context;
        public CancellationToken Ct { get; } = ct;
        public int Lookups { get; private set; }
        public int Voids { get; private set; }
        public List<string>? ValidatedNames { get; set; }

        /// <summary>Whether the client's PTR lookup found nothing (NXDOMAIN or no records).</summary>
        public bool PtrVoid { get; set; }

        public void CountTerm(string term)
        {
            if (++Lookups > MaxDnsTerms)
                throw new SpfAbort(SpfResultCode.PermError, $"more than {MaxDnsTerms} DNS-querying terms at '{term}' (RFC 7208 §4.6.4)");
        }

        public void CountVoid(string term)
        {
            if (++Voids > MaxVoidLookups)
                throw new SpfAbort(SpfResultCode.PermError, $"more than {MaxVoidLookups} void lookups at '{term}' (RFC 7208 §4.6.4)");
        }
    }

    /// <summary>Ends the whole evaluation with temperror or permerror, however deep in includes it happens.</summary>
    private sealed class SpfAbort(SpfResultCode code, string message) : Exception(message)
    {
        public SpfResultCode Code { get; } = code;
    }

    /// <summary>What one record (with its redirects) concluded.</summary>
    private sealed record Verdict(SpfResultCode Code, string? Explanation = null, string? Mechanism = null, string? Reason = null);

    private async Task<Verdict> CheckAsync(Evaluation evaluation, string domain, bool wantExplanation)
    {
        domain = domain.EndsWith('.') ? domain[..^1] : domain;
        // §4.3: a malformed or single-label domain gives none without a lookup.
        if (domain.StartsWith('[') || !domain.Contains('.') || !DnsName.IsValid(domain))
            return new Verdict(SpfResultCode.None, Reason: $"'{domain}' is not a valid domain name");
        var record = await FetchRecordAsync(domain, evaluation.Ct);
        if (record is null)
            return new Verdict(SpfResultCode.None, Reason: $"no SPF record at {domain}");

        foreach (var mechanism in record.Mechanisms)
        {
            if (!await MatchesAsync(evaluation, mechanism, domain))
                continue;
            string? explanation = null;
            if (mechanism.Qualifier == SpfResultCode.Fail && wantExplanation && record.Explanation is not null)
                explanation = await ExplainAsync(evaluation, record.Explanation, domain);
            return new Verdict(mechanism.Qualifier, explanation, mechanism.Text);
        }

        if (record.Redirect is null)
            return new Verdict(SpfResultCode.Neutral, Reason: "no mechanism matched");
        // §6.1: redirect counts as a DNS-querying term; a target without a record is permerror.
        evaluation.CountTerm("redirect=" + record.Redirect);
        var target = await ExpandDomainAsync(evaluation, record.Redirect, domain);
        var result = await CheckAsync(evaluation, target, wantExplanation);
        if (result.Code == SpfResultCode.None)
            throw new SpfAbort(SpfResultCode.PermError, $"redirect={target}: {result.Reason}");
        return result;
    }

    /// <summary>§4.4 and §4.5: the one TXT record starting "v=spf1"; null for none.</summary>
    private async Task<SpfRecord?> FetchRecordAsync(string domain, CancellationToken ct)
    {
        var lookup = await dns.TxtAsync(domain, ct);
        if (lookup.Outcome == DnsOutcome.TempError)
            throw new SpfAbort(SpfResultCode.TempError, $"DNS error looking up {domain}: {lookup.Error}");
        string? found = null;
        foreach (var txt in lookup.Records)
        {
            if (!SpfRecord.IsSpf(txt))
                continue;
            if (found is not null)
                throw new SpfAbort(SpfResultCode.PermError, $"more than one SPF record at {domain} (RFC 7208 §4.5)");
            found = txt;
        }
        if (found is null)
            return null;
        if (_parsed.TryGetValue(found, out var known))
            return known;
        try
        {
            var record = SpfRecord.Parse(found);
            // Bounded: a flood of distinct records only costs re-parsing.
            if (_parsed.Count >= MaxParsedRecords)
                _parsed.Clear();
            _parsed[found] = record;
            return record;
        }
        catch (SpfSyntaxException e)
        {
            throw new SpfAbort(SpfResultCode.PermError, $"{domain}: {e.Message}");
        }
    }

    private async Task<bool> MatchesAsync(Evaluation evaluation, SpfMechanism mechanism, string domain)
    {
        var ip = evaluation.Context.Ip;
        var ct = evaluation.Ct;
        if (mechanism.QueriesDns)
            evaluation.CountTerm(mechanism.Text);
        switch (mechanism.Kind)
        {
            case SpfMechanismKind.All:
                return true;
            case SpfMechanismKind.Ip4:
            case SpfMechanismKind.Ip6:
                return InNetwork(ip, mechanism.Network!, mechanism.Kind == SpfMechanismKind.Ip4 ? mechanism.Cidr4 : mechanism.Cidr6);
            case SpfMechanismKind.Include:
            {
                // §5.2: only a pass matches; temperror and permerror carry through; none is permerror.
                var target = await ExpandDomainAsync(evaluation, mechanism.DomainSpec!, domain);
                var included = await CheckAsync(evaluation, target, wantExplanation: false);
                return included.Code switch
                {
                    SpfResultCode.Pass => true,
                    SpfResultCode.None => throw new SpfAbort(SpfResultCode.PermError, $"{mechanism.Text}: {included.Reason}"),
                    _ => false,
                };
            }
            case SpfMechanismKind.A:
            {
                var target = await TargetAsync(evaluation, mechanism, domain);
                var addresses = await AddressesAsync(target, ip, ct);
                if (addresses.Outcome == DnsOutcome.TempError)
                    throw new SpfAbort(SpfResultCode.TempError, $"{mechanism.Text}: {addresses.Error}");
                if (addresses.Outcome != DnsOutcome.Found)
                    evaluation.CountVoid(mechanism.Text);
                return addresses.Records.Any(a => InNetwork(ip, a, Prefix(mechanism, ip)));
            }
            case SpfMechanismKind.Mx:
            {
                var target = await TargetAsync(evaluation, mechanism, domain);
                var mx = await dns.MxAsync(target, ct);
                if (mx.Outcome == DnsOutcome.TempError)
                    throw new SpfAbort(SpfResultCode.TempError, $"{mechanism.Text}: {mx.Error}");
                if (mx.Outcome != DnsOutcome.Found)
                {
                    evaluation.CountVoid(mechanism.Text);
                    return false;
                }
                if (mx.Records.Count > MaxNames)
                    throw new SpfAbort(SpfResultCode.PermError, $"{mechanism.Text}: more than {MaxNames} MX names (RFC 7208 §4.6.4)");
                foreach (var exchange in mx.Records)
                {
                    if (exchange.Exchange.Length == 0)
                        continue; // null MX (RFC 7505)
                    var addresses = await AddressesAsync(exchange.Exchange, ip, ct);
                    if (addresses.Outcome == DnsOutcome.TempError)
                        throw new SpfAbort(SpfResultCode.TempError, $"{mechanism.Text}: {addresses.Error}");
                    if (addresses.Records.Any(a => InNetwork(ip, a, Prefix(mechanism, ip))))
                        return true;
                }
                return false;
            }
            case SpfMechanismKind.Ptr:
            {
                var target = await TargetAsync(evaluation, mechanism, domain);
                var names = await ValidatedNamesAsync(evaluation);
                // §4.6.4: a PTR query that finds nothing is a void lookup like any other term's.
                if (evaluation.PtrVoid)
                    evaluation.CountVoid(mechanism.Text);
                return names.Any(name => IsSameOrSubdomain(name, target));
            }
            default:
            {
                // exists (§5.7): an A query, whatever the client's address family.
                var target = await ExpandDomainAsync(evaluation, mechanism.DomainSpec!, domain);
                var found = await dns.AAsync(target, ct);
                if (found.Outcome == DnsOutcome.TempError)
                    throw new SpfAbort(SpfResultCode.TempError, $"{mechanism.Text}: {found.Error}");
                if (found.Outcome != DnsOutcome.Found)
                    evaluation.CountVoid(mechanism.Text);
                return found.Outcome == DnsOutcome.Found;
            }
        }
    }

    private Task<DnsLookup<IPAddress>> AddressesAsync(string name, IPAddress ip, CancellationToken ct) =>
        ip.AddressFamily == AddressFamily.InterNetwork ? dns.AAsync(name, ct) : dns.AaaaAsync(name, ct);

    private static int Prefix(SpfMechanism mechanism, IPAddress ip) =>
        ip.AddressFamily == AddressFamily.InterNetwork ? mechanism.Cidr4 : mechanism.Cidr6;

    private async Task<string> TargetAsync(Evaluation evaluation, SpfMechanism mechanism, string domain) =>
        mechanism.DomainSpec is null ? domain : await ExpandDomainAsync(evaluation, mechanism.DomainSpec, domain);

    private async Task<string> ExpandDomainAsync(Evaluation evaluation, string spec, string domain) =>
        SpfMacro.ToDomain(SpfMacro.Expand(spec, await ContextAsync(evaluation, spec, domain)));

    /// <summary>The macro context for the current domain, with %{p} looked up only when the string uses it.</summary>
    private async Task<SpfMacroContext> ContextAsync(Evaluation evaluation, string text, string domain)
    {
        var context = evaluation.Context with { Domain = domain };
        if (!SpfMacro.UsesValidatedName(text))
            return context;
        var names = await ValidatedNamesAsync(evaluation);
        // §7.3: prefer the domain itself, then a subdomain of it, then any validated name.
        var chosen = names.FirstOrDefault(n => n == domain)
                     ?? names.FirstOrDefault(n => IsSameOrSubdomain(n, domain))
                     ?? names.FirstOrDefault();
        return context with { ValidatedName = chosen };
    }

    /// <summary>
    /// §5.5: the client's PTR names whose forward addresses include the client, at most <see cref="MaxNames"/>
    /// of them considered. DNS errors here make names not validate, never an error result.
    /// </summary>
    private async Task<List<string>> ValidatedNamesAsync(Evaluation evaluation)
    {
        if (evaluation.ValidatedNames is { } known)
            return known;
        var ip = evaluation.Context.Ip;
        var validated = new List<string>();
        var ptr = await dns.PtrAsync(ip, evaluation.Ct);
        evaluation.PtrVoid = ptr.Outcome is DnsOutcome.NxDomain or DnsOutcome.NoData;
        foreach (var name in ptr.Records.Take(MaxNames))
        {
            var normalized = DnsName.Normalize(name);
            var addresses = await AddressesAsync(normalized, ip, evaluation.Ct);
            if (addresses.Records.Any(a => a.Equals(ip)))
                validated.Add(normalized);
        }
        evaluation.ValidatedNames = validated;
        return validated;
    }

    /// <summary>§6.2: the exp= text; any trouble (DNS, not exactly one record, bad syntax) means no explanation.</summary>
    private async Task<string?> ExplainAsync(Evaluation evaluation, string spec, string domain)
    {
        try
        {
            var name = await ExpandDomainAsync(evaluation, spec, domain);
            if (!DnsName.IsValid(name))
                return null;
            var txt = await dns.TxtAsync(name, evaluation.Ct);
            if (txt.Outcome != DnsOutcome.Found || txt.Records.Count != 1)
                return null;
            var text = txt.Records[0];
            SpfMacro.Validate(text, SpfMacroUse.Explanation);
            return SpfMacro.Expand(text, await ContextAsync(evaluation, text, domain));
        }
        catch (SpfSyntaxException)
        {
            return null;
        }
    }

    private static bool IsSameOrSubdomain(string name, string domain) =>
        name.Equals(domain, StringComparison.OrdinalIgnoreCase)
        || (name.Length > domain.Length && name.EndsWith(domain, StringComparison.OrdinalIgnoreCase) && name[^(domain.Length + 1)] == '.');

    /// <summary>Whether <paramref name="ip"/> is in network/prefix; addresses of the other family never match.</summary>
    internal static bool InNetwork(IPAddress ip, IPAddress network, int prefix)
    {
        if (network.IsIPv4MappedToIPv6)
        {
            // ip6:::ffff:192.0.2.0/120 names IPv4 clients; its last 32 bits of prefix are the IPv4 prefix.
            network = network.MapToIPv4();
            prefix = Math.Max(0, prefix - 96);
        }
        if (ip.AddressFamily != network.AddressFamily)
            return false;
        Span<byte> a = stackalloc byte[16], b = stackalloc byte[16];
        ip.TryWriteBytes(a, out var length);
        network.TryWriteBytes(b, out _);
        var whole = prefix / 8;
        if (!a[..whole].SequenceEqual(b[..whole]))
            return false;
        var bits = prefix % 8;
        if (bits == 0 || whole >= length)
            return true;
        var mask = (byte)(0xFF << (8 - bits));
        return (a[whole] & mask) == (b[whole] & mask);
    }
}
