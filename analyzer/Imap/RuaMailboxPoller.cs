using System.Globalization;
using DmarcAnalyzer.Reports;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Imap;

/// <summary>Hands one message's raw bytes to the ingest pipeline (<see cref="IngestPipeline.IngestAsync"/>).</summary>
internal delegate Task<IngestOutcome> IngestMessage(Stream message, string source, CancellationToken ct);

/// <summary>Keeps a message that cannot be ingested in the failures table, with what bytes there are and why.</summary>
internal delegate Task<IngestOutcome> RecordFailure(Stream raw, string source, string reason, CancellationToken ct);

/// <summary>
/// Collects aggregate reports from the rua mailbox. Each message is fetched whole, ingested (each report committed in
/// its own transaction), and only then moved, with the rest of its batch: to the archive folder when every report in
/// it is stored (new or duplicate), else to the failed folder. Nothing is deleted. A crash between commit and move is
/// harmless: the next pass finds the reports already stored and moves the message. Transient failures (a dropped
/// connection, BYE, a timeout, a server restart) reconnect with backoff; a stop request ends the run after the
/// current message.
/// </summary>
internal sealed class RuaMailboxPoller(ImapServer server, RuaMailbox mailbox, IngestMessage ingest, RecordFailure recordFailure, ImapLimits limits, ILogger log)
{
    /// <summary>RFC 2177 §3: servers may drop an IDLE after 30 minutes; renew well before.</summary>
    private static readonly TimeSpan IdleRenewal = TimeSpan.FromMinutes(25);

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    /// <summary>UIDs per SEARCH: a reply lists at most this many, about 70 KB.</summary>
    private const long SearchWindow = 10_000;

    /// <summary>A single pass gives up after this many transient failures.</summary>
    private const int OnceAttempts = 6;

    /// <summary>
    /// Runs until the mailbox is empty (<see cref="PollMode.Once"/>) or until <paramref name="stop"/> is cancelled.
    /// Returns what was ingested. Wrong credentials and store failures end the run whatever the mode.
    /// </summary>
    public async Task<IngestOutcome> RunAsync(PollSchedule schedule, CancellationToken stop)
    {
        var total = new Tally();
        var backoff = FirstBackoff;
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var client = await ConnectAsync(stop);
                var folders = await PrepareAsync(client, stop);
                while (!stop.IsCancellationRequested)
                {
                    var before = total.Outcome;
                    await DrainAsync(client, folders, total, stop);
                    // Only progress resets the backoff: a message that breaks the connection every time must not
                    // make the loop spin.
                    if (total.Outcome != before)
                        backoff = FirstBackoff;
                    if (schedule.Mode == PollMode.Once)
                    {
                        await LogoutQuietlyAsync(client);
                        return total.Outcome;
                    }
                    if (total.Outcome != before)
                        log.LogInformation("{Mailbox}: {Summary} so far", mailbox, total.Outcome.ToSummaryLine());
                    await WaitForMailAsync(client, schedule, stop);
                }
                await LogoutQuietlyAsync(client);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (IsTransient(e) && !stop.IsCancellationRequested)
            {
                failures++;
                if (schedule.Mode == PollMode.Once && failures >= OnceAttempts)
                    throw;
                log.LogWarning("{Message}; reconnecting in {Seconds:0} s", e.Message, backoff.TotalSeconds);
                try
                {
                    await Task.Delay(backoff, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
        return total.Outcome;
    }

    /// <summary>What a run has ingested, and which messages broke the connection, kept across reconnections.</summary>
    private sealed class Tally
    {
        public IngestOutcome Outcome { get; set; } = IngestOutcome.None;

        /// <summary>UID → how many times processing it ended in a transient error; emptied when one succeeds.</summary>
        public Dictionary<uint, int> Breaking { get; } = [];
    }

    /// <summary>A message that breaks the connection this often is a poison message, not a network fault.</summary>
    private const int BreakingAttempts = 2;

    private static bool IsTransient(Exception e) =>
        e is ImapConnectionException or ImapProtocolException or ImapCommandException or IOException or System.Net.Sockets.SocketException;

    private async Task<ImapClient> ConnectAsync(CancellationToken ct)
    {
        var client = await ImapClient.ConnectAsync(server, limits, log, ct);
        try
        {
            if (!client.IsAuthenticated)
                await client.LoginAsync(mailbox.User, mailbox.Password, ImapLoginMethod.Auto, ct);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private sealed record Folders(string Source, string Archive, string Failed);

    /// <summary>Resolves folder names to the server's hierarchy, creates the missing ones, selects the source.</summary>
    private async Task<Folders> PrepareAsync(ImapClient client, CancellationToken ct)
    {
        // RFC 3501 §6.3.8: LIST "" "" returns the hierarchy delimiter.
        var delimiter = (await client.ListAsync("", "", ct)).FirstOrDefault()?.Delimiter;
        var folders = new Folders(OnServer(mailbox.Folder, delimiter), OnServer(mailbox.ArchiveFolder, delimiter), OnServer(mailbox.FailedFolder, delimiter));
        foreach (var folder in new[] { folders.Archive, folders.Failed })
        {
            if ((await client.ListAsync("", folder, ct)).Any(m => m.Name == folder && m.CanSelect))
                continue;
            if (await client.CreateAsync(folder, ct))
                log.LogInformation("created folder {Folder}", folder);
        }
        await client.SelectAsync(folders.Source, ct);
        return folders;
    }

    private static string OnServer(string name, char? delimiter) =>
        delimiter is { } d && d != '/' ? name.Replace('/', d) : name;

    /// <summary>
    /// Every message now in the folder, by UID, in batches; new arrivals are picked up by the next search. A batch
    /// is moved after all its messages are ingested: one MOVE per folder instead of one per message (Maildir
    /// servers rewrite their index on each). A crash before the move only means duplicates on the next pass.
    /// </summary>
    private async Task DrainAsync(ImapClient client, Folders folders, Tally total, CancellationToken stop)
    {
        long next = 1;
        while (!stop.IsCancellationRequested)
        {
            // Searching a window of UIDs keeps each SEARCH reply small whatever the size of the folder.
            var highest = (await client.UidSearchAsync("UID *", stop)).LastOrDefault();
            if (highest < next)
                break;
            var last = Math.Min(next + SearchWindow - 1, highest);
            var uids = await client.UidSearchAsync(string.Create(CultureInfo.InvariantCulture, $"UID {next}:{last} UNDELETED"), stop);
            var batch = uids.Where(u => u >= next).Take(mailbox.BatchSize).ToList();
            if (batch.Count == 0)
            {
                next = last + 1;
                continue;
            }
            var sizes = await client.UidFetchSizesAsync(batch, stop);
            var archive = new List<uint>();
            var failed = new List<uint>();
            foreach (var uid in batch)
            {
                if (stop.IsCancellationRequested)
                    break;
                next = uid + 1L;
                // No size: the message went away since the search; the next pass sees whether it is back.
                if (!sizes.TryGetValue(uid, out var size))
                    continue;
                if (total.Breaking.GetValueOrDefault(uid) >= BreakingAttempts)
                {
                    // Fetching it again would only break the connection again, for ever: it goes to the failed folder unread.
                    total.Breaking.Remove(uid);
                    total.Outcome += await UnreadAsync(folders, uid, $"fetching it broke the connection {BreakingAttempts} times");
                    failed.Add(uid);
                    continue;
                }
                bool? stored;
                try
                {
                    // The message is finished even when a stop arrives meanwhile: I/O stays bounded by the timeouts.
                    stored = await ProcessAsync(client, folders, uid, size, total, CancellationToken.None);
                }
                catch (Exception e) when (IsTransient(e))
                {
                    total.Breaking[uid] = total.Breaking.GetValueOrDefault(uid) + 1;
                    throw;
                }
                total.Breaking.Remove(uid);
                if (stored is { } s)
                    (s ? archive : failed).Add(uid);
            }
            await client.UidMoveAsync(archive, folders.Archive, CancellationToken.None);
            await client.UidMoveAsync(failed, folders.Failed, CancellationToken.None);
        }
    }

    private string Source(Folders folders, uint uid) =>
        string.Create(CultureInfo.InvariantCulture, $"imap://{mailbox.User}@{server.Host}/{folders.Source};UID={uid}");

    /// <summary>A message moved to the failed folder without being read still leaves its row in the failures table.</summary>
    private async Task<IngestOutcome> UnreadAsync(Folders folders, uint uid, string why)
    {
        log.LogError("{Folder} UID {Uid}: {Why}; moved to {Failed} unread", folders.Source, uid, why, folders.Failed);
        return await recordFailure(Stream.Null, Source(folders, uid), $"{why}; moved to {folders.Failed} unread", CancellationToken.None);
    }

    /// <summary>
    /// Ingests one message and counts it; true when every report in it is stored (it goes to the archive),
    /// false when it goes to the failed folder, null when it vanished meanwhile.
    /// </summary>
    private async Task<bool?> ProcessAsync(ImapClient client, Folders folders, uint uid, long size, Tally total, CancellationToken ct)
    {
        if (size > limits.MaxLiteralBytes)
        {
            total.Outcome += await UnreadAsync(folders, uid, $"it is {size:N0} bytes, over the {limits.MaxLiteralBytes:N0} fetched");
            return false;
        }
        using var message = await client.UidFetchMessageAsync(uid, ct);
        if (message is null)
            return null;
        var source = Source(folders, uid);
        IngestOutcome outcome;
        await using (var content = message.Content.OpenRead())
            outcome = await ingest(content, source, ct);
        total.Outcome += outcome;
        log.LogDebug("{Source}: {Summary}", source, outcome.ToSummaryLine());
        return outcome.Failed == 0 && outcome.New + outcome.Duplicate > 0;
    }

    private async Task WaitForMailAsync(ImapClient client, PollSchedule schedule, CancellationToken stop)
    {
        if (schedule.Mode == PollMode.Idle && client.Has("IDLE"))
        {
            await client.IdleAsync(IdleRenewal, stop);
            return;
        }
        if (schedule.Mode == PollMode.Idle)
            log.LogInformation("server lacks IDLE: polling every {Interval}", schedule.Interval);
        try
        {
            await Task.Delay(schedule.Interval, stop);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        // A long sleep may have outlived the server's autologout: NOOP finds out before the next search.
        await client.NoopAsync(stop);
    }

    private async Task LogoutQuietlyAsync(ImapClient client)
    {
        try
        {
            await client.LogoutAsync(CancellationToken.None);
        }
        catch (ImapException e)
        {
            log.LogDebug("logout: {Message}", e.Message);
        }
    }
}
