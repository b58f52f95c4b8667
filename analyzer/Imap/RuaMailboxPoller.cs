using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using DmarcAnalyzer.Ingest;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Imap;

/// <summary>Hands one message's raw bytes to the ingest pipeline (<see cref="IngestPipeline.IngestAsync(Stream, string, CancellationToken)"/>).</summary>
internal delegate Task<IngestOutcome> IngestMessage(Stream message, string source, CancellationToken ct);

/// <summary>Keeps a message that cannot be ingested in the failures table, with what bytes there are and why.</summary>
internal delegate Task<IngestOutcome> RecordFailure(Stream raw, string source, string reason, CancellationToken ct);

/// <summary>
/// Collects reports from one rua mailbox over MailKit's IMAP client. Each message is fetched whole, ingested (each
/// report committed in its own transaction), and only then moved, with the rest of its batch: to the archive folder
/// when every report in it is stored (new or duplicate), else to the failed folder. Nothing is deleted. A crash
/// between commit and move is harmless: the next pass finds the reports already stored and moves the message.
/// Whatever goes wrong while reading one message makes that message a failure; only the mailbox connection and the
/// store can fail a pass, and the loop modes try again with backoff. A stop request ends the run after the current message.
/// </summary>
internal sealed class RuaMailboxPoller(RuaMailbox mailbox, IngestMessage ingest, RecordFailure recordFailure, ImapLimits limits, ReconnectPolicy reconnect, ILogger log)
{
    /// <summary>RFC 2177 §3: servers may drop an IDLE after 30 minutes; renew well before.</summary>
    private static readonly TimeSpan IdleRenewal = TimeSpan.FromMinutes(25);

    /// <summary>UIDs per SEARCH: a reply lists at most this many, about 70 KB.</summary>
    private const long SearchWindow = 10_000;

    /// <summary>A message that breaks the connection this often is a poison message, not a network fault.</summary>
    private const int BreakingAttempts = 2;

    /// <summary>
    /// Runs for each message just before a batch is fetched: a test's way to break the connection at that point, as a
    /// message the server cannot deliver does.
    /// </summary>
    internal Func<uint, Task>? BeforeFetch { get; init; }

    /// <summary>Runs after each pass of the loop modes, before the wait for new mail (the poll loop's alert rules).</summary>
    public Func<CancellationToken, Task>? AfterPass { get; init; }

    private readonly Tally total = new();

    /// <summary>What this poller has ingested so far, also when <see cref="RunAsync"/> ended in an exception.</summary>
    public IngestOutcome Ingested => total.Outcome;

    /// <summary>
    /// Runs until the mailbox is empty (<see cref="PollMode.Once"/>) or until <paramref name="stop"/> is cancelled, and
    /// returns what was ingested. Call it once per poller. A single pass gives up on refused credentials or certificates, on a failing store, and
    /// after <see cref="ReconnectPolicy.OnceAttempts"/> dropped connections; the loop modes retry all of them.
    /// </summary>
    public async Task<IngestOutcome> RunAsync(PollSchedule schedule, CancellationToken stop)
    {
        var backoff = reconnect.FirstDelay;
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var client = await MailboxClient.ConnectAsync(mailbox, limits, log, stop);
                var folders = await PrepareAsync(client, stop);
                while (!stop.IsCancellationRequested)
                {
                    var before = total.Outcome;
                    await DrainAsync(client, folders, stop);
                    // Only progress resets the backoff: a message that breaks the connection every time must not
                    // make the loop spin.
                    if (total.Outcome != before)
                        backoff = reconnect.FirstDelay;
                    if (schedule.Mode == PollMode.Once)
                    {
                        await LogoutQuietlyAsync(client);
                        return total.Outcome;
                    }
                    if (total.Outcome != before)
                        log.LogInformation("{Mailbox}: {Summary} so far", mailbox, total.Outcome.ToSummaryLine());
                    if (AfterPass is { } afterPass)
                        await afterPass(stop);
                    await WaitForMailAsync(client, folders.Source, schedule, stop);
                }
                await LogoutQuietlyAsync(client);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (Classify(e) is not Failure.Other && !stop.IsCancellationRequested)
            {
                failures++;
                if (schedule.Mode == PollMode.Once && (Classify(e) is not Failure.Transient || failures >= reconnect.OnceAttempts))
                    throw;
                log.LogWarning("{Mailbox}: {Message}; trying again in {Seconds:0} s", mailbox, Describe(e), backoff.TotalSeconds);
                try
                {
                    await Task.Delay(backoff, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, reconnect.MaxDelay.Ticks));
            }
        }
        return total.Outcome;
    }

    private enum Failure
    {
        /// <summary>The connection dropped, timed out, or the server said BYE or NO: reconnecting may help.</summary>
        Transient,

        /// <summary>The server refused our credentials or could not prove who it is; the token source failed.</summary>
        Refused,

        /// <summary>The store failed: nothing can be kept until it works again.</summary>
        Store,

        /// <summary>A defect of ours: it propagates.</summary>
        Other,
    }

    private static Failure Classify(Exception e) => e switch
    {
        DbException => Failure.Store,
        AuthenticationException or SslHandshakeException or MailboxCredentialException or FolderNotFoundException => Failure.Refused,
        // MailKit throws NotSupportedException when --tls starttls meets a server that does not offer it.
        NotSupportedException => Failure.Refused,
        // A name that does not exist and a port nobody listens on do not heal by waiting; a temporary DNS failure may.
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.ConnectionRefused } => Failure.Refused,
        IOException or SocketException or TimeoutException or ImapProtocolException or ImapCommandException
            or ServiceNotConnectedException or ServiceNotAuthenticatedException => Failure.Transient,
        _ => Failure.Other,
    };

    /// <summary>The mailbox or the store failed, as can happen; not a defect of ours.</summary>
    internal static bool IsExpected(Exception e) => Classify(e) is not Failure.Other;

    /// <summary>The message to log: a refused login names the mailbox's user, a TLS failure what was wrong.</summary>
    internal static string Describe(Exception e) => e switch
    {
        AuthenticationException => $"login refused: {e.Message}",
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData } => $"the server's name does not resolve: {e.Message}",
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => $"the server refused the connection (nothing listens on that port): {e.Message}",
        SslHandshakeException { InnerException: { } inner } => $"TLS failed: {inner.Message}",
        _ => e.Message,
    };

    /// <summary>What a run has ingested, and which messages broke the connection, kept across reconnections.</summary>
    private sealed class Tally
    {
        public IngestOutcome Outcome { get; set; } = IngestOutcome.None;

        /// <summary>UID → how many times processing it ended in a transient error; emptied when one succeeds.</summary>
        public Dictionary<uint, int> Breaking { get; } = [];
    }

    private sealed record Folders(IImapFolder Source, IMailFolder Archive, IMailFolder Failed);

    /// <summary>Finds the source folder, creates the archive and failed folders when missing, and opens the source.</summary>
    private async Task<Folders> PrepareAsync(ImapClient client, CancellationToken ct)
    {
        var found = mailbox.Folder.Equals("INBOX", StringComparison.OrdinalIgnoreCase) && client.Inbox is { } inbox
            ? inbox
            : await client.GetFolderAsync(OnServer(client, mailbox.Folder), ct);
        // MailKit's IMAP folders are IImapFolder: its raw UID SEARCH is what keeps a search reply small.
        var source = (IImapFolder)found;
        var folders = new Folders(source, await EnsureFolderAsync(client, mailbox.ArchiveFolder, ct), await EnsureFolderAsync(client, mailbox.FailedFolder, ct));
        await source.OpenAsync(FolderAccess.ReadWrite, ct);
        return folders;
    }

    private static string OnServer(ImapClient client, string name) =>
        client.PersonalNamespaces.FirstOrDefault()?.DirectorySeparator is { } d && d != '/' ? name.Replace('/', d) : name;

    /// <summary>Walks <paramref name="name"/> level by level from the personal namespace, creating what is missing.</summary>
    private async Task<IMailFolder> EnsureFolderAsync(ImapClient client, string name, CancellationToken ct)
    {
        var folder = client.GetFolder(client.PersonalNamespaces[0]);
        foreach (var level in name.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                folder = await folder.GetSubfolderAsync(level, ct);
            }
            catch (FolderNotFoundException)
            {
                folder = await folder.CreateAsync(level, isMessageFolder: true, ct) ?? throw new FolderNotFoundException(level);
                log.LogInformation("{Mailbox}: created folder {Folder}", mailbox, folder.FullName);
            }
        }
        return folder;
    }

    /// <summary>
    /// Every message now in the folder, by UID, in batches; new arrivals are picked up by the next search. A batch
    /// is moved after all its messages are ingested: one MOVE per folder instead of one per message (Maildir
    /// servers rewrite their index on each). A crash before the move only means duplicates on the next pass.
    /// </summary>
    private async Task DrainAsync(ImapClient client, Folders folders, CancellationToken stop)
    {
        var source = folders.Source;
        long next = 1;
        while (!stop.IsCancellationRequested)
        {
            // Searching a window of UIDs keeps each SEARCH reply small whatever the size of the folder.
            var found = (await source.SearchAsync("UID *", stop)).UniqueIds;
            var highest = found.Count == 0 ? 0 : found.Max(u => u.Id);
            if (highest < next)
                break;
            var last = Math.Min(next + SearchWindow - 1, highest);
            var uids = (await source.SearchAsync(string.Create(CultureInfo.InvariantCulture, $"UID {next}:{last} UNDELETED"), stop)).UniqueIds;
            var batch = uids.Where(u => u.Id >= next).OrderBy(u => u.Id).Take(mailbox.BatchSize).ToList();
            if (batch.Count == 0)
            {
                next = last + 1;
                continue;
            }
            var sizes = (await source.FetchAsync(batch, MessageSummaryItems.UniqueId | MessageSummaryItems.Size, stop))
                .Where(s => s.Size is not null)
                .ToDictionary(s => s.UniqueId.Id, s => (long)s.Size!.Value);
            var archive = new List<UniqueId>();
            var failed = new List<UniqueId>();
            var wanted = new List<UniqueId>();
            foreach (var uid in batch)
            {
                // No size: the message went away since the search; the next pass sees whether it is back.
                if (!sizes.TryGetValue(uid.Id, out var size))
                    continue;
                if (total.Breaking.GetValueOrDefault(uid.Id) >= BreakingAttempts)
                {
                    // Fetching it again would only break the connection again, for ever: it goes to the failed folder unread.
                    total.Breaking.Remove(uid.Id);
                    total.Outcome += await UnreadAsync(folders, uid, $"fetching it broke the connection {BreakingAttempts} times");
                    failed.Add(uid);
                }
                else if (size > limits.MaxMessageBytes)
                {
                    total.Outcome += await UnreadAsync(folders, uid, $"it is {size:N0} bytes, over the {limits.MaxMessageBytes:N0} fetched");
                    failed.Add(uid);
                }
                else
                {
                    wanted.Add(uid);
                }
            }
            next = batch[^1].Id + 1L;
            await FetchAndIngestAsync(folders, wanted, archive, failed, stop);
            await FolderMove.MoveAsync(client, source, archive, folders.Archive, log, CancellationToken.None);
            await FolderMove.MoveAsync(client, source, failed, folders.Failed, log, CancellationToken.None);
        }
    }

    private string Source(Folders folders, UniqueId uid) =>
        string.Create(CultureInfo.InvariantCulture, $"imap://{mailbox.User}@{mailbox.Server.Host}/{folders.Source.FullName};UID={uid.Id}");

    /// <summary>A message moved to the failed folder without being read still leaves its row in the failures table.</summary>
    private async Task<IngestOutcome> UnreadAsync(Folders folders, UniqueId uid, string why)
    {
        log.LogError("{Mailbox}: {Folder} UID {Uid}: {Why}; moved to {Failed} unread", mailbox, folders.Source.FullName, uid.Id, why, folders.Failed.FullName);
        return await recordFailure(Stream.Null, Source(folders, uid), $"{why}; moved to {folders.Failed.FullName} unread", CancellationToken.None);
    }

    /// <summary>
    /// Fetches the batch's messages with one <c>UID FETCH</c> and ingests each as it arrives, while the server sends
    /// the next: to <paramref name="archive"/> when every report in it is stored, else to <paramref name="failed"/>.
    /// The batch is fetched whole even when a stop arrives meanwhile (I/O stays bounded by the timeout); messages
    /// after the stop are left for the next run. When the connection breaks, the first message not yet received is
    /// the one blamed.
    /// </summary>
    private async Task FetchAndIngestAsync(Folders folders, List<UniqueId> wanted, List<UniqueId> archive, List<UniqueId> failed, CancellationToken stop)
    {
        if (wanted.Count == 0)
            return;
        if (BeforeFetch is { } hook)
            foreach (var uid in wanted)
                await hook(uid.Id);
        var received = new HashSet<uint>();
        try
        {
            await folders.Source.GetStreamsAsync(wanted, async (_, _, uid, stream, _) =>
            {
                received.Add(uid.Id);
                if (stop.IsCancellationRequested)
                    return;
                (await IngestOneAsync(folders, uid, stream) ? archive : failed).Add(uid);
                total.Breaking.Remove(uid.Id);
            }, CancellationToken.None);
        }
        catch (Exception e) when (Classify(e) is Failure.Transient)
        {
            if (wanted.FirstOrDefault(u => !received.Contains(u.Id)) is { IsValid: true } culprit)
                total.Breaking[culprit.Id] = total.Breaking.GetValueOrDefault(culprit.Id) + 1;
            throw;
        }
    }

    /// <summary>
    /// Ingests one message and counts it; true when every report in it is stored. An exception from the ingest other
    /// than the store's makes the message a failure with its raw bytes (issue 14: one report never stops collection).
    /// </summary>
    private async Task<bool> IngestOneAsync(Folders folders, UniqueId uid, Stream fetched)
    {
        var source = Source(folders, uid);
        IngestOutcome outcome;
        await using (var content = await SeekableAsync(fetched, CancellationToken.None))
        {
            try
            {
                outcome = await ingest(content, source, CancellationToken.None);
            }
            catch (Exception e) when (e is not DbException)
            {
                log.LogError(e, "{Mailbox}: {Source}: reading it failed; it goes to {Failed}", mailbox, source, folders.Failed.FullName);
                content.Position = 0;
                outcome = await recordFailure(content, source,
                    $"reading it failed on an unexpected error ({e.GetType().Name}); moved to {folders.Failed.FullName}", CancellationToken.None);
            }
        }
        total.Outcome += outcome;
        log.LogDebug("{Source}: {Summary}", source, outcome.ToSummaryLine());
        return outcome.Failed == 0 && outcome.StoredReports > 0;
    }

    /// <summary>MailKit hands the fetched message as a seekable in-memory stream; anything else is copied so a failure can keep the bytes.</summary>
    private static async Task<Stream> SeekableAsync(Stream stream, CancellationToken ct)
    {
        if (stream.CanSeek)
            return stream;
        await using (stream)
        {
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy, ct);
            copy.Position = 0;
            return copy;
        }
    }

    private async Task WaitForMailAsync(ImapClient client, IImapFolder source, PollSchedule schedule, CancellationToken stop)
    {
        if (schedule.Mode == PollMode.Idle && client.Capabilities.HasFlag(ImapCapabilities.Idle))
        {
            using var done = CancellationTokenSource.CreateLinkedTokenSource(stop);
            done.CancelAfter(IdleRenewal);
            // MailKit reports EXISTS during IDLE as a count change; cancelling the done token sends DONE.
            void OnCountChanged(object? sender, EventArgs e) => done.Cancel();
            source.CountChanged += OnCountChanged;
            try
            {
                // Only the wait is cancelled (through DONE); the exchange itself is bounded by the timeout.
                await client.IdleAsync(done.Token, CancellationToken.None);
            }
            finally
            {
                source.CountChanged -= OnCountChanged;
            }
            return;
        }
        if (schedule.Mode == PollMode.Idle)
            log.LogInformation("{Mailbox}: server lacks IDLE: polling every {Interval}", mailbox, schedule.Interval);
        try
        {
            await Task.Delay(schedule.Interval, stop);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        // A long sleep may have outlived the server's autologout: NOOP finds out before the next search.
        await client.NoOpAsync(stop);
    }

    private async Task LogoutQuietlyAsync(ImapClient client)
    {
        try
        {
            await client.DisconnectAsync(quit: true, CancellationToken.None);
        }
        catch (Exception e) when (Classify(e) is Failure.Transient)
        {
            log.LogDebug("{Mailbox}: logout: {Message}", mailbox, e.Message);
        }
    }
}
