using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// Enumerates a source on a thread-pool thread, a few batches ahead of the consumer: a large report's XML
/// is parsed on one core while SQLite stores the records already parsed on the other. Memory stays bounded
/// (at most <c>depth</c> batches wait), and the source is never touched again once the enumeration ends,
/// however it ends, so the caller may dispose what the source reads from.
/// </summary>
internal static class ReadAhead
{
    public static async IAsyncEnumerable<T[]> BatchesAsync<T>(
        IEnumerable<T> source, int batchSize, int depth, [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<T[]>(new BoundedChannelOptions(depth) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.Run(() => ProduceAsync(source, batchSize, channel.Writer, stop.Token), CancellationToken.None);
        try
        {
            // WaitToReadAsync throws what the producer completed the channel with, as itself.
            while (await channel.Reader.WaitToReadAsync(ct))
            {
                while (channel.Reader.TryRead(out var batch))
                    yield return batch;
            }
        }
        finally
        {
            stop.Cancel();
            await producer;
        }
    }

    /// <summary>Never throws: whatever the source throws reaches the consumer through the channel.</summary>
    private static async Task ProduceAsync<T>(IEnumerable<T> source, int batchSize, ChannelWriter<T[]> writer, CancellationToken ct)
    {
        try
        {
            var batch = new List<T>(batchSize);
            foreach (var item in source)
            {
                batch.Add(item);
                if (batch.Count == batchSize)
                {
                    await writer.WriteAsync([.. batch], ct);
                    batch.Clear();
                }
            }
            if (batch.Count > 0)
                await writer.WriteAsync([.. batch], ct);
            writer.Complete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }
}
