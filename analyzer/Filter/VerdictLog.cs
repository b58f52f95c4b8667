using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// Takes verdicts off the milter's reply path: <see cref="Add"/> never waits; a background writer stores them in
/// batches. While the store is down they wait in the bounded queue; what does not fit is counted and logged.
/// </summary>
internal sealed class VerdictLog(Func<CancellationToken, Task<SqliteConnection>> openStore, int capacity, int batchSize, ILogger<VerdictLog> logger)
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly Channel<VerdictRecord> _queue = Channel.CreateBounded<VerdictRecord>(
        new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private long _dropped;
    private long _written;

    /// <summary>Verdicts lost because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

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
        SqliteConnection? store = null;
        var batch = new List<VerdictRecord>(batchSize);
        var delay = TimeSpan.FromMilliseconds(250);
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
                    await VerdictStore.WriteAsync(store, batch, CancellationToken.None);
                    Interlocked.Add(ref _written, batch.Count);
                    batch.Clear();
                    delay = TimeSpan.FromMilliseconds(250);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Whatever the failure, the writer must outlive it: ending here would drop every later verdict
                    // without a word until shutdown. The expected ones are logged without a stack, others with it.
                    var expected = e is SqliteException or IOException or InvalidOperationException or UnauthorizedAccessException;
                    logger.LogError(expected ? null : e, "verdict store unavailable ({Error}); {Count} verdicts wait, retry in {Delay}",
                        e.Message, batch.Count + _queue.Reader.Count, delay);
                    if (store is not null)
                        await store.DisposeAsync();
                    store = null;
                    if (stopping.IsCancellationRequested)
                    {
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
}
