using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Tests.Storage;

public class ReadAheadTests
{
    [Fact]
    public async Task BatchesKeepTheOrderAndTheLastPartialBatch()
    {
        var batches = await ReadAhead.BatchesAsync(Enumerable.Range(1, 10), 4, 2, TestContext.Current.CancellationToken)
            .ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]], batches);
    }

    [Fact]
    public async Task WhatTheSourceThrowsReachesTheConsumerAsItself()
    {
        var seen = new List<int>();
        var e = await Assert.ThrowsAsync<FormatException>(async () =>
        {
            await foreach (var batch in ReadAhead.BatchesAsync(ThrowsAfter(5), 2, 2, TestContext.Current.CancellationToken))
                seen.AddRange(batch);
        });
        Assert.Equal("item 6 is broken", e.Message);
        Assert.Equal([1, 2, 3, 4], seen);
    }

    [Fact]
    public async Task AConsumerThatStopsEarlyStopsTheSourceBeforeItReturns()
    {
        var source = new CountingSource();
        await foreach (var _ in ReadAhead.BatchesAsync(source.Items(), 1, 1, TestContext.Current.CancellationToken))
            break;
        var after = source.Read;
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(after, source.Read);
        Assert.True(source.Finished, "the source's enumerator must be disposed when the consumer stops");
    }

    private static IEnumerable<int> ThrowsAfter(int good)
    {
        for (var i = 1; i <= good; i++)
            yield return i;
        throw new FormatException($"item {good + 1} is broken");
    }

    private sealed class CountingSource
    {
        public int Read;
        public bool Finished;

        public IEnumerable<int> Items()
        {
            try
            {
                while (true)
                    yield return Interlocked.Increment(ref Read);
            }
            finally
            {
                Finished = true;
            }
        }
    }
}
