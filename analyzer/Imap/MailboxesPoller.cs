using DmarcAnalyzer.Ingest;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Imap;

/// <summary>What a poll of several mailboxes did: the ingest summed over all, and the mailboxes that could not be served.</summary>
internal sealed record PollOutcome(IngestOutcome Ingested, IReadOnlyList<string> FailedMailboxes);

/// <summary>
/// Serves several report mailboxes at once, each on its own connection with its own <see cref="RuaMailboxPoller"/>;
/// one that fails (refused login, server down, a defect) does not stop the others. The ingest runs one message at a
/// time: the pipeline holds one store connection.
/// </summary>
internal sealed class MailboxesPoller(IReadOnlyList<RuaMailbox> mailboxes, IngestMessage ingest, RecordFailure recordFailure, ImapLimits limits, ReconnectPolicy reconnect, ILogger log)
{
    /// <summary>Runs after each pass of a mailbox in the loop modes, one at a time (<see cref="RuaMailboxPoller.AfterPass"/>).</summary>
    public Func<CancellationToken, Task>? AfterPass { get; init; }

    public async Task<PollOutcome> RunAsync(PollSchedule schedule, CancellationToken stop)
    {
        using var gate = new SemaphoreSlim(1);
        Func<CancellationToken, Task>? afterPass = AfterPass is not { } after ? null : async ct =>
        {
            await gate.WaitAsync(ct);
            try
            {
                await after(ct);
            }
            finally
            {
                gate.Release();
            }
        };
        var pollers = mailboxes.Select(m => new RuaMailboxPoller(m,
            async (message, source, ct) =>
            {
                await gate.WaitAsync(ct);
                try
                {
                    return await ingest(message, source, ct);
                }
                finally
                {
                    gate.Release();
                }
            },
            async (raw, source, reason, ct) =>
            {
                await gate.WaitAsync(ct);
                try
                {
                    return await recordFailure(raw, source, reason, ct);
                }
                finally
                {
                    gate.Release();
                }
            },
            limits, reconnect, log) { AfterPass = afterPass }).ToList();
        var served = await Task.WhenAll(pollers.Select(async (poller, i) =>
        {
            try
            {
                await poller.RunAsync(schedule, stop);
                return true;
            }
            catch (Exception e)
            {
                // A refused login or a dropped server is said in one line; anything else is a defect and gets its stack trace.
                log.LogError(RuaMailboxPoller.IsExpected(e) ? null : e,
                    "{Mailbox}: {Message}", mailboxes[i], RuaMailboxPoller.Describe(e));
                return false;
            }
        }));
        var total = pollers.Aggregate(IngestOutcome.None, (sum, p) => sum + p.Ingested);
        return new PollOutcome(total, [.. mailboxes.Where((_, i) => !served[i]).Select(m => m.Name)]);
    }
}
