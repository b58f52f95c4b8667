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
/// Without a resolver only cached names are used; a lookup that fails leaves the name missing and is
/// not cached, so a later run tries again. Lookups are bounded: the busiest addresses first, at most
/// <see cref="MaxLookups"/> per run, <see cref="Parallelism"/> at a time, within <see cref="Budget"/>.
/// The busiest is asked alone first, and the first DNS failure (a timeout, SERVFAIL, no server) stops every
/// lookup: when DNS is down, the report waits for one timeout, not one per address.
/// </summary>
internal sealed class ReverseDnsNames(IDnsResolver? resolver, TimeProvider time)
{
    public const int MaxLookups = 500;
    public const int Parallelism = 8;
    private const int MaxNamesChecked = 3;
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromDays(7);

    /// <summary>Names for the addresses, which come busiest first; addresses without a confirmed name are absent.</summary>
    public async Task<ReverseNames> NamesAsync(IRecordQueries db, IReadOnlyList<string> addressesBusiestFirst, CancellationToken ct)
    {
        var cache = await db.PtrNamesAsync(ct);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var toLookUp = new List<string>();
        foreach (var ip in addressesBusiestFirst)
        {
            var cached = cache.GetValueOrDefault(ip);
            if (cached?.Name is { } name)
                names[ip] = name;
            var fresh = cached is not null && now - cached.CheckedUtc < CacheLifetime.TotalSeconds;
            if (resolver is not null && !fresh && toLookUp.Count < MaxLookups)
                toLookUp.Add(ip);
        }
        if (resolver is null || toLookUp.Count == 0)
            return new ReverseNames(names, null);

        var answers = new ConcurrentBag<PtrCacheEntry>();
        string? trouble = null;
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(Budget);
        try
        {
            var first = await LookUpAsync(resolver, toLookUp[0], budget.Token);
            if (first.Trouble is not null)
                trouble = first.Trouble;
            else
            {
                answers.Add(new PtrCacheEntry(toLookUp[0], first.Name, now));
                await Parallel.ForEachAsync(toLookUp.Skip(1), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = budget.Token },
                    async (ip, token) =>
                    {
                        var answer = await LookUpAsync(resolver, ip, token);
                        if (answer.Trouble is null)
                            answers.Add(new PtrCacheEntry(ip, answer.Name, now));
                        else if (Interlocked.CompareExchange(ref trouble, answer.Trouble, null) is null)
                            await budget.CancelAsync();
                    });
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Out of budget, or stopped by the first failure: keep what was answered; the rest stays unnamed this run.
            trouble ??= $"the lookups took longer than {Budget.TotalSeconds:0} s";
        }
        foreach (var answer in answers)
        {
            if (answer.Name is { } name)
                names[answer.Ip] = name;
            else
                names.Remove(answer.Ip);
        }
        await db.SavePtrNamesAsync(answers.ToList(), ct);
        return new ReverseNames(names, trouble);
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
