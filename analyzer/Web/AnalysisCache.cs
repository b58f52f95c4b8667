using System.Diagnostics;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Web;

/// <summary>A page's analysis as served: the figures, when the store was read for them, and whether newer ones are being computed.</summary>
internal sealed record ServedAnalysis(ReportAnalysis Analysis, DateTimeOffset AsOf, bool Updating);

/// <summary>
/// The overview's and domain pages' analyses, kept per period and domain so that a repeated page costs its rendering
/// only. Each is kept with the <see cref="StoreStamp"/> and the store's known senders it was computed from; when those
/// move (a report ingested, a known sender marked, a name cached) the page gets the figures it had, marked as updating,
/// while one background computation per page brings new ones. A page never asked before waits for its computation.
/// The analysis depends on the store and the configuration only, never on who asks: every role sees the same figures
/// (what a role may do on the page is rendered per request).
/// </summary>
internal sealed class AnalysisCache : IAsyncDisposable
{
    /// <summary>Pages kept (the least recently used goes): an overview over 1,000,000 records keeps a few MB.</summary>
    public const int MaxEntries = 32;

    /// <summary>Analyses computed at once: each reads the period's records, and the machine's cores serve the pages too.</summary>
    public const int MaxComputing = 2;

    /// <summary>
    /// Figures older than this are brought up to date even when the stamp has not moved: the stamp misses a prune that
    /// deletes neither the oldest nor the newest records, and a reparse that only removes some.
    /// </summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(15);

    private readonly ServeOptions _options;
    private readonly StoreSource _stores;
    private readonly ILogger<AnalysisCache> _logger;
    private readonly CancellationTokenSource _stopping;
    private readonly SemaphoreSlim _computing = new(MaxComputing);
    private readonly Lock _lock = new();
    private readonly Dictionary<Key, Entry> _entries = [];
    private readonly List<Task> _running = [];
    private long _uses;
    private long _computations;

    public AnalysisCache(ServeOptions options, StoreSource stores, ILogger<AnalysisCache> logger, IHostApplicationLifetime lifetime)
    {
        _options = options;
        _stores = stores;
        _logger = logger;
        _stopping = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
    }

    /// <summary>How many analyses have been started: what the tests count to see that a repeated page does not compute again.</summary>
    public long Computations => Interlocked.Read(ref _computations);

    /// <summary>The analysis of <paramref name="period"/> (one domain's, or every domain's when <paramref name="domain"/> is null).</summary>
    public async Task<ServedAnalysis> GetAsync(Store store, ReportPeriod period, string? domain, CancellationToken ct)
    {
        var stamp = new Stamp(await store.StampAsync(ct), await store.KnownSenders.ListAsync(ct));
        var key = new Key(period.From, period.To, Normalized(domain));
        Task<Result> computing;
        lock (_lock)
        {
            if (key.Domain is not null && FromOverview(key, stamp) is { } part)
                return part;
            var entry = EntryOf(key);
            if (entry.Result is { } held)
            {
                var current = held.Stamp.Matches(stamp) && _options.Time.GetUtcNow() - held.AsOf < MaxAge;
                if (!current)
                    Start(key, entry);
                return new ServedAnalysis(held.Analysis, held.AsOf, !current);
            }
            computing = Start(key, entry);
        }
        var result = await computing.WaitAsync(ct);
        return new ServedAnalysis(result.Analysis, result.AsOf, false);
    }

    /// <summary>Starts computing a page in the background (the default overview at start), so its first visitor does not wait.</summary>
    public void Warm(ReportPeriod period, string? domain)
    {
        var key = new Key(period.From, period.To, Normalized(domain));
        lock (_lock)
            Start(key, EntryOf(key));
    }

    /// <summary>Waits until no computation is running (for the tests: the updated figures are then in place).</summary>
    public async Task IdleAsync()
    {
        while (true)
        {
            Task[] running;
            lock (_lock)
                running = _running.Where(t => !t.IsCompleted).ToArray();
            if (running.Length == 0)
                return;
            await Task.WhenAll(running).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await IdleAsync();
        _stopping.Dispose();
        _computing.Dispose();
    }

    /// <summary>
    /// One domain out of the overview of the same period when that is current: a domain's figures do not depend on
    /// the other domains (sources are named and classified per address), so they are the ones its own run would give.
    /// </summary>
    private ServedAnalysis? FromOverview(Key key, Stamp stamp)
    {
        if (!_entries.TryGetValue(key with { Domain = null }, out var overview) || overview.Result is not { } held
            || !held.Stamp.Matches(stamp) || _options.Time.GetUtcNow() - held.AsOf >= MaxAge)
            return null;
        var domain = held.Analysis.Domains.FirstOrDefault(d => d.Domain == key.Domain);
        if (domain is null)
            return null;
        overview.LastUse = ++_uses;
        return new ServedAnalysis(held.Analysis with { DomainFilter = key.Domain, Domains = [domain], OmittedDomains = 0 }, held.AsOf, false);
    }

    private Entry EntryOf(Key key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            if (_entries.Count >= MaxEntries)
                _entries.Remove(_entries.MinBy(e => e.Value.LastUse).Key);
            _entries[key] = entry = new Entry();
        }
        entry.LastUse = ++_uses;
        return entry;
    }

    /// <summary>The entry's computation, started unless one is running already (one at a time per page).</summary>
    private Task<Result> Start(Key key, Entry entry)
    {
        if (entry.Computing is { IsCompleted: false } running)
            return running;
        var computing = Task.Run(() => ComputeAsync(key, entry));
        entry.Computing = computing;
        _running.RemoveAll(t => t.IsCompleted);
        _running.Add(computing);
        return computing;
    }

    private async Task<Result> ComputeAsync(Key key, Entry entry)
    {
        var ct = _stopping.Token;
        try
        {
            await _computing.WaitAsync(ct);
            try
            {
                Interlocked.Increment(ref _computations);
                // Its own store: the request that asked first may end (or be cancelled) before the computation does.
                await using var store = await _stores.OpenAsync(ct);
                // The stamp before the records: a write while they are read moves the stamp, and the next request computes again.
                var stamp = new Stamp(await store.StampAsync(ct), await store.KnownSenders.ListAsync(ct));
                var asOf = _options.Time.GetUtcNow();
                var started = Stopwatch.GetTimestamp();
                var analysis = await PageAnalysis.Analyzer(_options, stamp.KnownSenders)
                    .AnalyzeAsync(store.Records, new ReportPeriod(key.From, key.To), key.Domain, ct);
                _logger.LogInformation("Analysed {From}..{To} {Domain} in {Milliseconds:0} ms", key.From, key.To, key.Domain ?? "(every domain)",
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                var result = new Result(analysis, stamp, asOf);
                lock (_lock)
                    entry.Result = result;
                return result;
            }
            finally
            {
                _computing.Release();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The figures it had stay; the next request for the page tries again.
            _logger.LogError(e, "Analysing the store for {From}..{To} {Domain} failed", key.From, key.To, key.Domain ?? "(every domain)");
            throw;
        }
    }

    private static string? Normalized(string? domain) => domain?.Trim().TrimEnd('.').ToLowerInvariant();

    private sealed record Key(DateOnly? From, DateOnly? To, string? Domain);

    private sealed record Stamp(StoreStamp Store, IReadOnlyList<KnownSenderRow> KnownSenders)
    {
        public bool Matches(Stamp other) => Store == other.Store && KnownSenders.SequenceEqual(other.KnownSenders);
    }

    private sealed record Result(ReportAnalysis Analysis, Stamp Stamp, DateTimeOffset AsOf);

    private sealed class Entry
    {
        public Result? Result { get; set; }

        public Task<Result>? Computing { get; set; }

        public long LastUse { get; set; }
    }
}
