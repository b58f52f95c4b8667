using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>The names found, and why the lookups stopped early when they did (then the rest stay unnamed this run).</summary>
internal sealed record ReverseNames(IReadOnlyDictionary<string, string> Names, string? Trouble);

/// <summary>
/// Forward-confirmed reverse DNS names of source addresses (the PTR name counts only when its A/AAAA
/// records contain the address again, as RFC 8601 §2.7.3's iprev does), cached in the store.
/// Without a resolver only cached names are used. Lookups are bounded: the busiest addresses first, at most
/// <see cref="MaxLookups"/> per run, <see cref="Parallelism"/> at a time, within <see cref="Budget"/>.
/// One address's failure (a timeout, SERVFAIL: its reverse zone is lame, and whoever sent the report chose the
/// address) is that address's alone: it stays unnamed and is not asked again for <see cref="RetryAfterFailure"/>,
/// while the others go on. Only when the first <see cref="Parallelism"/> lookups all fail is DNS itself taken to be
/// down and the rest left for the next run: the report waits for one timeout, not one per address.
/// </summary>
internal sealed class ReverseDnsNames(IDnsResolver? resolver, TimeProvider time)
{
    public const int MaxLookups = 500;
    public const int Parallelism = 8;
    private const int MaxNamesChecked = 3;
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromDays(7);
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromDays(1);

    /// <summary>
    /// Names for the addresses, given with their message counts; addresses without a confirmed name are absent. Those
    /// looked up are the busiest of those not fresh in the cache (ties by address): only they are sorted, not every address.
    /// </summary>
    public async Task<ReverseNames> NamesAsync(IRecordQueries db, IReadOnlyDictionary<string, long> messagesByAddress, CancellationToken ct)
    {
        var cache = await db.PtrNamesAsync(ct);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var stale = new List<string>();
        foreach (var ip in messagesByAddress.Keys)
        {
            var cached = cache.GetValueOrDefault(ip);
            if (cached?.Name is { } name)
                names[ip] = name;
            var fresh = cached is not null && now - cached.CheckedUtc < CacheLifetime.TotalSeconds;
            if (resolver is not null && !fresh)
                stale.Add(ip);
        }
        if (resolver is null || stale.Count == 0)
            return new ReverseNames(names, null);
        var toLookUp = stale.OrderByDescending(ip => messagesByAddress[ip]).ThenBy(ip => ip, StringComparer.Ordinal).Take(MaxLookups).ToList();

        var answers = new ConcurrentBag<PtrCacheEntry>();
        var failed = new ConcurrentBag<string>();
        void Keep(string ip, Answer answer)
        {
            if (answer.Trouble is null)
                answers.Add(new PtrCacheEntry(ip, answer.Name, now));
            else
                failed.Add(ip);
        }

        string? down = null;
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(Budget);
        try
        {
            var opening = toLookUp.Take(Parallelism).ToList();
            var first = await Task.WhenAll(opening.Select(ip => LookUpAsync(resolver, ip, budget.Token)));
            for (var i = 0; i < opening.Count; i++)
                Keep(opening[i], first[i]);
            // The first round all failing means DNS is down, not one address's zone.
            if (first.All(a => a.Trouble is not null))
                down = first[0].Trouble;
            else
                await Parallel.ForEachAsync(toLookUp.Skip(Parallelism), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = budget.Token },
                    async (ip, token) => Keep(ip, await LookUpAsync(resolver, ip, token)));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Out of budget: keep what was answered; the rest stays unnamed this run.
            down = $"the lookups took longer than {Budget.TotalSeconds:0} s";
        }
        foreach (var answer in answers)
        {
            if (answer.Name is { } name)
                names[answer.Ip] = name;
            else
                names.Remove(answer.Ip);
        }
        // A failed address keeps the name it had and is asked again once its entry turns stale, a day from now.
        var retryAt = now - (long)(CacheLifetime - RetryAfterFailure).TotalSeconds;
        var failures = down is null ? failed.Select(ip => new PtrCacheEntry(ip, names.GetValueOrDefault(ip), retryAt)) : [];
        await db.SavePtrNamesAsync([.. answers, .. failures], ct);
        return new ReverseNames(names, down);
    }

    /// <summary>A confirmed name or none (NXDOMAIN, or no name that points back), or, on DNS trouble, what went wrong.</summary>
    private sealed record Answer(string? Name, string? Trouble = null);

    private static async Task<Answer> LookUpAsync(IDnsResolver resolver, string ip, CancellationToken ct)
    {
        if (!IPAddress.TryParse(ip, out var address))
            return new Answer(null);
        try
        {
            var ptr = await resolver.PtrAsync(address, ct);
            if (ptr.Outcome == DnsOutcome.TempError)
                return new Answer(null, Trouble(ip, ptr.Error));
            foreach (var raw in ptr.Records.Take(MaxNamesChecked))
            {
                var name = raw.Trim().TrimEnd('.').ToLowerInvariant();
                if (name.Length == 0)
                    continue;
                var forward = address.AddressFamily == AddressFamily.InterNetworkV6
                    ? await resolver.AaaaAsync(name, ct)
                    : await resolver.AAsync(name, ct);
                if (forward.Outcome == DnsOutcome.TempError)
                    return new Answer(null, Trouble(name, forward.Error));
                if (forward.Records.Contains(address))
                    return new Answer(name);
            }
            return new Answer(null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A name is a nicety: whatever goes wrong in the resolver (sockets, a bad answer) leaves it missing.
            return new Answer(null, Trouble(ip, e.Message));
        }
    }

    private static string Trouble(string what, string? error) => $"looking up {what} failed: {error ?? "DNS error"}";
}
