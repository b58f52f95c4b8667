using System.Threading.Channels;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// Takes verdicts off the milter's reply path: <see cref="Add"/> never waits; a background writer stores them in
/// batches. While the store is down they wait in the bounded queue; what does not fit is counted and logged.
/// A batch that fails <see cref="MaxBatchAttempts"/> times is written one verdict at a time, and a verdict the store
/// refuses (a constraint, a trigger, a value too big) is dropped and logged, so one bad verdict cannot stop the log.
/// </summary>
internal sealed class VerdictLog(Func<CancellationToken, Task<Store>> openStore, int capacity, int batchSize, ILogger<VerdictLog> logger)
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private const int MaxBatchAttempts = 3;
    private const int MaxLoggedChars = 200;

    private readonly Channel<VerdictRecord> _queue = Channel.CreateBounded<VerdictRecord>(
        new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private long _dropped;
    private long _refused;
    private long _written;

    /// <summary>Verdicts lost because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Verdicts lost because the store refused them, each logged once.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public long Written => Interlocked.Read(ref _written);

    public void Add(VerdictRecord record)
    {
        if (_queue.Writer.TryWrite(record))
            return;
        var dropped = Interlocked.Increment(ref _dropped);
        // Log the first loss and then every thousandth, not one line per message while the store is down.
        if (dropped == 1 || dropped % 1000 == 0)
            logger.LogWarning("verdict queue full ({Capacity}); {Dropped} verdicts dropped so far", capacity, dropped);
    }

    /// <summary>Stores verdicts until <paramref name="stopping"/> fires, then what is still queued.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        Store? store = null;
        var batch = new List<VerdictRecord>(batchSize);
        var delay = TimeSpan.FromMilliseconds(250);
        var attempts = 0;
        try
        {
            while (true)
            {
                if (batch.Count == 0)
                {
                    try
                    {
                        if (!await _queue.Reader.WaitToReadAsync(stopping))
                            break;
                    }
                    catch (OperationCanceledException)
                    {
                        _queue.Writer.TryComplete();
                    }
                    while (batch.Count < batchSize && _queue.Reader.TryRead(out var record))
                        batch.Add(record);
                    if (batch.Count == 0)
                        break;
                }
                try
                {
                    store ??= await openStore(CancellationToken.None);
                    if (attempts < MaxBatchAttempts)
                    {
                        await VerdictStore.WriteAsync(store.Verdicts, batch, CancellationToken.None);
                        Interlocked.Add(ref _written, batch.Count);
                        batch.Clear();
                    }
                    else
                        await WriteOneByOneAsync(store, batch);
                    attempts = 0;
                    delay = TimeSpan.FromMilliseconds(250);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Whatever the failure, the writer must outlive it: ending here would drop every later verdict
                    // without a word until shutdown. The expected ones are logged without a stack, others with it.
                    attempts++;
                    var expected = StoreErrors.IsTheStores(e) || e is IOException or InvalidOperationException or UnauthorizedAccessException;
                    logger.LogError(expected ? null : e, "verdicts not stored ({Error}); {Count} verdicts wait, retry in {Delay}",
                        e.Message, batch.Count + _queue.Reader.Count, delay);
                    if (store is not null)
                        await store.DisposeAsync();
                    store = null;
                    if (stopping.IsCancellationRequested)
                    {
                        // One last try a verdict at a time, so that a refused one does not take its batch down with it.
                        if (attempts <= MaxBatchAttempts)
                        {
                            attempts = MaxBatchAttempts;
                            continue;
                        }
                        logger.LogError("shutting down with {Count} verdicts not stored", batch.Count + _queue.Reader.Count);
                        break;
                    }
                    try
                    {
                        await Task.Delay(delay, stopping);
                    }
                    catch (OperationCanceledException)
                    {
                        _queue.Writer.TryComplete();
                    }
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
                }
            }
        }
        finally
        {
            if (store is not null)
                await store.DisposeAsync();
        }
    }

    /// <summary>
    /// Stores the batch a verdict at a time, dropping those the store refuses; trouble of the whole store (busy,
    /// full, read-only, unreachable) is thrown with what is left still in <paramref name="batch"/>, to wait and retry.
    /// </summary>
    private async Task WriteOneByOneAsync(Store store, List<VerdictRecord> batch)
    {
        while (batch.Count > 0)
        {
            var record = batch[0];
            try
            {
                await VerdictStore.WriteAsync(store.Verdicts, [record], CancellationToken.None);
                Interlocked.Increment(ref _written);
            }
            catch (Exception e) when (IsRefusal(e))
            {
                Interlocked.Increment(ref _refused);
                logger.LogError("verdict for {QueueId} at {Time:u} refused by the store and dropped ({Error}): {Action}, {Reason}",
                    Bounded(record.Envelope.QueueId), record.Time, Bounded(e.Message), record.Verdict.Action, Bounded(record.Verdict.Reason));
            }
            batch.RemoveAt(0);
        }
    }

    /// <summary>
    /// A failure that belongs to the one verdict: the store refused its values (<see cref="StoreErrors.IsRefusal"/>).
    /// Everything else, the store's own trouble or a bug of ours, is retried: dropping verdicts one by one would hide
    /// a bug that fails them all. No serialization failure is particular to one verdict: the JSON is of strings
    /// decoded with replacement characters, so never of lone surrogates.
    /// </summary>
    private static bool IsRefusal(Exception e) => StoreErrors.IsRefusal(e);

    /// <summary>Text from a message or the store, on one log line and at most <see cref="MaxLoggedChars"/> long.</summary>
    private static string Bounded(string? text)
    {
        var line = (text ?? "").ReplaceLineEndings(" ");
        return line.Length <= MaxLoggedChars ? line : line[..MaxLoggedChars] + "…";
    }
}
