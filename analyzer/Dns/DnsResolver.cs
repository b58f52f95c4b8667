using System.Net;

namespace DmarcAnalyzer.Dns;

/// <summary>
/// The production <see cref="IDnsResolver"/>: local zone records first, then the shared cache, then the
/// stub transport (none when offline: names the zones lack are NXDOMAIN). CNAME chains are followed
/// for at most <see cref="MaxCnameChain"/> links; a longer chain or a loop is a temporary error.
/// </summary>
internal sealed class DnsResolver(LocalZone zone, DnsCache cache, DnsTransport? transport) : IDnsResolver
{
    public const int MaxCnameChain = 8;

    private volatile LocalZone _zone = zone;

    /// <summary>The zone records in force; replaced whole when the zone files are read again (SIGHUP).</summary>
    public LocalZone Zone
    {
        get => _zone;
        set => _zone = value;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Name, DnsType Type), Task<DnsAnswer>> _inFlight = new();

    public async Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct)
    {
        var answer = await ResolveAsync(name, DnsType.Txt, ct);
        return Map(answer, r => r.Text);
    }

    public async Task<DnsLookup<IPAddress>> AAsync(string name, CancellationToken ct) =>
        Map(await ResolveAsync(name, DnsType.A, ct), r => r.Address!);

    public async Task<DnsLookup<IPAddress>> AaaaAsync(string name, CancellationToken ct) =>
        Map(await ResolveAsync(name, DnsType.Aaaa, ct), r => r.Address!);

    public async Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct) =>
        Map(await ResolveAsync(name, DnsType.Mx, ct), r => new MxRecord(r.Preference, r.Text));

    public async Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct) =>
        Map(await ResolveAsync(DnsName.Reverse(address), DnsType.Ptr, ct), r => r.Text);

    /// <summary>
    /// Whether the servers answer now: one question put to them past the cache and the zones (whose answers would say
    /// nothing about the network), and not cached. Null when they answered, whatever the answer; else why not. Offline,
    /// there is no network to be down.
    /// </summary>
    public async Task<string?> ProbeAsync(string name, DnsType type, CancellationToken ct)
    {
        if (transport is null)
            return null;
        try
        {
            var response = await transport.ExchangeAsync(DnsName.Normalize(name), type, ct);
            return response.Rcode is DnsRcode.NoError or DnsRcode.NxDomain ? null : $"{name}/{type}: server answered {response.Rcode}";
        }
        catch (DnsTemporaryException e)
        {
            return e.Message;
        }
    }

    /// <summary>The records of one type at a name, aliases followed.</summary>
    public async Task<DnsAnswer> ResolveAsync(string name, DnsType type, CancellationToken ct)
    {
        var current = DnsName.Normalize(name);
        HashSet<string>? seen = null; // only aliases need it
        var links = 0;
        while (true)
        {
            if (!DnsName.IsValid(current))
                return new DnsAnswer(DnsOutcome.NxDomain, [], 0); // such a name cannot exist
            if (links > 0 && !(seen ??= new HashSet<string>(StringComparer.Ordinal) { DnsName.Normalize(name) }).Add(current))
                return DnsAnswer.Temporary($"CNAME loop at {current}");
            var answer = await AnswerAsync(current, type, ct);
            links += answer.Aliases + (answer.CnameTarget is null ? 0 : 1);
            if (links > MaxCnameChain)
                return DnsAnswer.Temporary($"CNAME chain from {name} longer than {MaxCnameChain}");
            if (answer.CnameTarget is null)
                return answer;
            current = DnsName.Normalize(answer.CnameTarget);
        }
    }

    private async Task<DnsAnswer> AnswerAsync(string name, DnsType type, CancellationToken ct)
    {
        if (_zone.TryAnswer(name, type, out var local))
            return local;
        if (transport is null)
            // Offline, the zones are all there is. A name with names below it exists (an empty non-terminal, RFC 8020):
            // NODATA, not NXDOMAIN, which would make DMARC read it as a non-existent domain (np=).
            return new DnsAnswer(_zone.HasNamesBelow(name) ? DnsOutcome.NoData : DnsOutcome.NxDomain, [], 0);
        if (cache.TryGet(name, type, out var cached))
            return ZoneFirst(cached);
        // Callers asking the same question at once share one query. It runs without any caller's token (the
        // transport's timeouts bound it), so one caller giving up does not fail the others.
        var mine = new TaskCompletionSource<DnsAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _inFlight.GetOrAdd((name, type), mine.Task);
        if (shared == mine.Task)
            _ = QueryAsync(name, type, mine);
        return ZoneFirst(await shared.WaitAsync(ct));
    }

    /// <summary>
    /// A zone record for a name the network's alias chain passes through wins over the network's records for it: the
    /// chain is cut there and followed in the zone. Checked at each use, so a cached answer does not hide a zone
    /// reloaded since.
    /// </summary>
    private DnsAnswer ZoneFirst(DnsAnswer answer)
    {
        if (answer.Chain is not { } chain)
            return answer;
        var zone = _zone;
        for (var i = 0; i < chain.Count; i++)
        {
            if (zone.Knows(chain[i]))
                return new DnsAnswer(DnsOutcome.NoData, [], answer.Ttl, chain[i], Aliases: i);
        }
        return answer;
    }

    private async Task QueryAsync(string name, DnsType type, TaskCompletionSource<DnsAnswer> completion)
    {
        try
        {
            var response = await transport!.ExchangeAsync(name, type, CancellationToken.None);
            var answer = Interpret(response, name, type);
            cache.Add(name, type, answer);
            completion.SetResult(answer);
        }
        catch (DnsTemporaryException e)
        {
            completion.SetResult(DnsAnswer.Temporary(e.Message));
        }
        catch (Exception e)
        {
            completion.SetException(e);
        }
        finally
        {
            _inFlight.TryRemove(KeyValuePair.Create((name, type), completion.Task));
        }
    }

    /// <summary>Walks the answer section's alias chain from the question name (RFC 1034 §3.6.2).</summary>
    private static DnsAnswer Interpret(DnsResponse response, string name, DnsType type)
    {
        switch (response.Rcode)
        {
            case DnsRcode.NoError:
            case DnsRcode.NxDomain:
                break;
            default:
                return DnsAnswer.Temporary($"{name}/{type}: server answered {response.Rcode}");
        }
        var owner = name;
        var ttl = uint.MaxValue;
        List<string>? chain = null;
        for (var links = 0; ; links++)
        {
            var records = response.Answers.Where(r => r.Type == type && r.Name == owner).ToList();
            if (records.Count > 0)
                return new DnsAnswer(DnsOutcome.Found, records, Math.Min(ttl, records.Min(r => r.Ttl)), Aliases: links, Chain: chain);
            var alias = type == DnsType.Cname ? null : response.Answers.FirstOrDefault(r => r.Type == DnsType.Cname && r.Name == owner);
            if (alias is null)
            {
                if (owner != name && response.Rcode == DnsRcode.NoError)
                    return new DnsAnswer(DnsOutcome.NoData, [], ttl, owner, Aliases: links - 1); // the alias target is asked on its own
                var outcome = response.Rcode == DnsRcode.NxDomain ? DnsOutcome.NxDomain : DnsOutcome.NoData;
                return new DnsAnswer(outcome, [], Math.Min(ttl, response.NegativeTtl ?? 0), Aliases: links, Chain: chain);
            }
            if (links >= MaxCnameChain)
                return DnsAnswer.Temporary($"CNAME chain from {name} longer than {MaxCnameChain}");
            ttl = Math.Min(ttl, alias.Ttl);
            owner = alias.Text;
            (chain ??= []).Add(DnsName.Normalize(owner));
        }
    }

    private static DnsLookup<T> Map<T>(DnsAnswer answer, Func<DnsRecord, T> select) => answer.Outcome switch
    {
        DnsOutcome.Found => DnsLookup<T>.Found(answer.Records.Select(select).ToArray()),
        DnsOutcome.NxDomain => DnsLookup<T>.NxDomain,
        DnsOutcome.NoData => DnsLookup<T>.NoData,
        _ => DnsLookup<T>.TempError(answer.Error ?? "temporary DNS error"),
    };
}
