using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Forward-confirmed reverse DNS names of source addresses (the PTR name counts only when its A/AAAA
/// records contain the address again, as RFC 8601 §2.7.3's iprev does), cached in the store.
/// Without a resolver only cached names are used; a lookup that fails leaves the name missing and is
/// not cached, so a later run tries again. Lookups are bounded: the busiest addresses first, at most
/// <see cref="MaxLookups"/> per run, <see cref="Parallelism"/> at a time, within <see cref="Budget"/>.
/// </summary>
internal sealed class ReverseDnsNames(IDnsResolver? resolver, TimeProvider time)
{
    public const int MaxLookups = 500;
    public const int Parallelism = 8;
    private const int MaxNamesChecked = 3;
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromDays(7);

    /// <summary>Names for the addresses, which come busiest first; addresses without a confirmed name are absent.</summary>
    public async Task<IReadOnlyDictionary<string, string>> NamesAsync(
        IRecordQueries db, IReadOnlyList<string> addressesBusiestFirst, CancellationToken ct)
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
            return names;

        var answers = new ConcurrentBag<PtrCacheEntry>();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(Budget);
        try
        {
            await Parallel.ForEachAsync(toLookUp, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = budget.Token },
                async (ip, token) =>
                {
                    if (await LookUpAsync(resolver, ip, token) is { } answer)
                        answers.Add(new PtrCacheEntry(ip, answer.Name, now));
                });
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Out of budget: keep what was answered; the rest stays unnamed this run.
        }
        foreach (var answer in answers)
        {
            if (answer.Name is { } name)
                names[answer.Ip] = name;
            else
                names.Remove(answer.Ip);
        }
        await db.SavePtrNamesAsync(answers.ToList(), ct);
        return names;
    }

    private sealed record Answer(string? Name);

    /// <summary>The confirmed name, an answer without one (NXDOMAIN, or no name that points back), or null on trouble.</summary>
    private static async Task<Answer?> LookUpAsync(IDnsResolver resolver, string ip, CancellationToken ct)
    {
        if (!IPAddress.TryParse(ip, out var address))
            return new Answer(null);
        try
        {
            var ptr = await resolver.PtrAsync(address, ct);
            if (ptr.Outcome == DnsOutcome.TempError)
                return null;
            foreach (var raw in ptr.Records.Take(MaxNamesChecked))
            {
                var name = raw.Trim().TrimEnd('.').ToLowerInvariant();
                if (name.Length == 0)
                    continue;
                var forward = address.AddressFamily == AddressFamily.InterNetworkV6
                    ? await resolver.AaaaAsync(name, ct)
                    : await resolver.AAsync(name, ct);
                if (forward.Outcome == DnsOutcome.TempError)
                    return null;
                if (forward.Records.Contains(address))
                    return new Answer(name);
            }
            return new Answer(null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A name is a nicety: whatever goes wrong in the resolver (sockets, a bad answer) leaves it missing.
            return null;
        }
    }
}
