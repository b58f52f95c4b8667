using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Imap;

/// <summary>How to log in: <see cref="Auto"/> is AUTHENTICATE PLAIN when offered, else LOGIN.</summary>
internal enum ImapLoginMethod { Auto, Plain, Login }

/// <summary>
/// An IMAP4rev1 client (RFC 3501) with the extensions servers offer and a report poller needs: LITERAL+ (RFC 7888),
/// SASL-IR (RFC 4959), IDLE (RFC 2177), UIDPLUS (RFC 4315), MOVE (RFC 6851). One command at a time; every read is
/// bounded by <see cref="ImapLimits"/>. After an <see cref="ImapConnectionException"/> or
/// <see cref="ImapProtocolException"/> the client is unusable: dispose it and connect again.
/// </summary>
internal sealed class ImapClient : IAsyncDisposable
{
    private readonly ImapConnection connection;
    private readonly ImapLimits limits;
    private readonly ILogger log;
    private HashSet<string> capabilities = new(StringComparer.OrdinalIgnoreCase);
    private int nextTag;

    private ImapClient(ImapConnection connection, ImapLimits limits, ILogger log)
    {
        this.connection = connection;
        this.limits = limits;
        this.log = log;
    }

    public bool IsUsable => !connection.IsBroken;
    public bool IsSecure => connection.IsSecure;
    public bool IsAuthenticated { get; private set; }

    public bool Has(string capability) => capabilities.Contains(capability);

    /// <summary>Connects, reads the greeting and capabilities, and runs STARTTLS when the server asks for it.</summary>
    public static async Task<ImapClient> ConnectAsync(ImapServer server, ImapLimits limits, ILogger log, CancellationToken ct)
    {
        var connection = await ImapConnection.OpenAsync(server, limits, ct);
        var client = new ImapClient(connection, limits, log);
        try
        {
            await client.GreetAsync(server, ct);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private async Task GreetAsync(ImapServer server, CancellationToken ct)
    {
        using (var greeting = await connection.ReadAsync(ct))
        {
            // RFC 3501 §7.1: the greeting is untagged OK, PREAUTH or BYE.
            if (greeting.Kind != ImapResponseKind.Untagged || greeting.Status is not (ImapStatus.Ok or ImapStatus.PreAuth or ImapStatus.Bye))
                throw new ImapProtocolException($"not an IMAP greeting: {greeting}");
            if (greeting.Status == ImapStatus.Bye)
                throw new ImapConnectionException($"{server} refused the connection: {greeting.Text}");
            IsAuthenticated = greeting.Status == ImapStatus.PreAuth;
            if (greeting.Code == "CAPABILITY")
                capabilities = ParseCapabilities(greeting.CodeArguments);
        }
        if (capabilities.Count == 0)
            await CapabilityAsync(ct);
        if (server.Tls != ImapTls.StartTls)
            return;
        if (IsAuthenticated)
            throw new ImapProtocolException("server pre-authenticated the connection before STARTTLS");
        if (!Has("STARTTLS"))
            throw new ImapConnectionException($"{server} does not offer STARTTLS");
        await RunAsync(new ImapCommand("STARTTLS"), null, ct);
        await connection.StartTlsAsync(ct);
        // RFC 3501 §6.2.1: capabilities learnt before TLS must be discarded.
        capabilities.Clear();
        await CapabilityAsync(ct);
    }

    public async Task CapabilityAsync(CancellationToken ct)
    {
        capabilities.Clear();
        await RunAsync(new ImapCommand("CAPABILITY"), null, ct);
        if (!Has("IMAP4rev1") && !Has("IMAP4rev2"))
            throw new ImapProtocolException("server does not speak IMAP4rev1");
    }

    /// <summary>
    /// AUTHENTICATE PLAIN (RFC 4616, with SASL-IR when offered), falling back to LOGIN when the server does not
    /// offer PLAIN or rejects the mechanism as unknown (BAD). A NO is wrong credentials: no second try.
    /// </summary>
    public async Task LoginAsync(string user, string password, ImapLoginMethod method, CancellationToken ct)
    {
        var plain = method == ImapLoginMethod.Plain || (method == ImapLoginMethod.Auto && Has("AUTH=PLAIN"));
        var before = capabilities;
        try
        {
            if (plain)
            {
                try
                {
                    await AuthenticatePlainAsync(user, password, ct);
                }
                catch (ImapCommandException e) when (e.Status == ImapStatus.Bad && method == ImapLoginMethod.Auto)
                {
                    log.LogInformation("server refused AUTHENTICATE PLAIN ({Reason}); trying LOGIN", e.Message);
                    await LoginCommandAsync(user, password, ct);
                }
            }
            else
            {
                await LoginCommandAsync(user, password, ct);
            }
        }
        catch (ImapCommandException e) when (e.Code == "UNAVAILABLE")
        {
            // RFC 5530 §3: the authentication backend is down for now; this is worth a retry, wrong credentials are not.
            throw new ImapConnectionException($"login as {user} unavailable for now: {e.Message}", e);
        }
        catch (ImapCommandException e)
        {
            throw new ImapAuthenticationException($"login as {user} refused: {e.Message}");
        }
        IsAuthenticated = true;
        var announced = !ReferenceEquals(before, capabilities);
        // Servers announce more after login (Dovecot: MOVE, UIDPLUS); unless the OK carried them, ask.
        if (!announced)
            await CapabilityAsync(ct);
    }

    private async Task AuthenticatePlainAsync(string user, string password, CancellationToken ct)
    {
        var response = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
        var command = new ImapCommand("AUTHENTICATE").Atom("PLAIN");
        if (Has("SASL-IR"))
        {
            await RunAsync(command.Atom(response), null, ct);
            return;
        }
        // RFC 3501 §6.2.2: the server sends an empty challenge; the client answers with one base64 line.
        var answered = false;
        await RunAsync(command, null, ct, _ =>
        {
            var line = answered ? "*" : response;
            answered = true;
            return line;
        });
    }

    private async Task LoginCommandAsync(string user, string password, CancellationToken ct)
    {
        if (Has("LOGINDISABLED"))
            throw new ImapAuthenticationException("server disables LOGIN here and does not offer AUTHENTICATE PLAIN");
        await RunAsync(new ImapCommand("LOGIN").String(user).String(password), null, ct);
    }

    public async Task<SelectedMailbox> SelectAsync(string mailbox, CancellationToken ct)
    {
        long exists = 0;
        uint validity = 0;
        uint? next = null;
        var done = await RunAsync(new ImapCommand("SELECT").Mailbox(mailbox), response =>
        {
            using (response)
            {
                if (response.Name == "EXISTS" && response.Number is { } n)
                    exists = n;
                else if (response.Code == "UIDVALIDITY")
                    validity = ParseUid(response.CodeArguments);
                else if (response.Code == "UIDNEXT")
                    next = ParseUid(response.CodeArguments);
            }
        }, ct);
        done.Dispose();
        return new SelectedMailbox(mailbox, exists, validity, next, done.Code == "READ-ONLY");
    }

    /// <summary><c>UID SEARCH</c> with search keys written by the caller (never user input), e.g. <c>UID 5:* UNDELETED</c>.</summary>
    public async Task<IReadOnlyList<uint>> UidSearchAsync(string criteria, CancellationToken ct)
    {
        var uids = new List<uint>();
        (await RunAsync(new ImapCommand("UID").Atom("SEARCH").Atom(criteria), response =>
        {
            using (response)
            {
                if (response.Name == "SEARCH")
                    uids.AddRange(response.Data.Select(t => ParseUid(t.Text)));
            }
        }, ct)).Dispose();
        uids.Sort();
        return uids;
    }

    /// <summary>RFC822.SIZE of each message, so an oversized one is never fetched.</summary>
    public async Task<IReadOnlyDictionary<uint, long>> UidFetchSizesAsync(IReadOnlyList<uint> uids, CancellationToken ct)
    {
        var sizes = new Dictionary<uint, long>();
        if (uids.Count == 0)
            return sizes;
        (await RunAsync(new ImapCommand("UID").Atom("FETCH").Atom(string.Join(',', uids.Select(Uid))).Atom("(UID RFC822.SIZE)"), response =>
        {
            using (response)
            {
                if (response.Name != "FETCH" || response.Data is not [ImapList items])
                    return;
                uint? uid = null;
                long? size = null;
                for (var i = 0; i + 1 < items.Items.Count; i += 2)
                {
                    var name = items.Items[i].Text?.ToUpperInvariant();
                    if (name == "UID")
                        uid = ParseUid(items.Items[i + 1].Text);
                    else if (name == "RFC822.SIZE" && long.TryParse(items.Items[i + 1].Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                        size = n;
                }
                if (uid is { } u && size is { } s)
                    sizes[u] = s;
            }
        }, ct)).Dispose();
        return sizes;
    }

    /// <summary>The whole message (<c>BODY.PEEK[]</c>, which leaves \Seen alone), or null when it no longer exists.</summary>
    public async Task<FetchedMessage?> UidFetchMessageAsync(uint uid, CancellationToken ct)
    {
        FetchedMessage? message = null;
        try
        {
            (await RunAsync(new ImapCommand("UID").Atom("FETCH").Atom(Uid(uid)).Atom("(UID BODY.PEEK[])"), response =>
            {
                using (response)
                {
                    if (response.Name != "FETCH" || response.Data is not [ImapList items])
                        return;
                    var found = BodyOf(items, uid);
                    if (found is null)
                        return;
                    if (message is not null)
                        throw new ImapProtocolException($"server sent message {uid} twice");
                    message = found;
                }
            }, ct)).Dispose();
            return message;
        }
        catch
        {
            message?.Dispose();
            throw;
        }
    }

    /// <summary>The BODY[] item of one FETCH response when it is for <paramref name="uid"/>; takes its literal.</summary>
    private static FetchedMessage? BodyOf(ImapList items, uint uid)
    {
        uint? responseUid = null;
        ImapToken? body = null;
        for (var i = 0; i + 1 < items.Items.Count; i += 2)
        {
            var name = items.Items[i].Text?.ToUpperInvariant();
            if (name == "UID")
                responseUid = ParseUid(items.Items[i + 1].Text);
            else if (name == "BODY[]")
                body = items.Items[i + 1];
        }
        if (responseUid != uid || body is null)
            return null;
        return body switch
        {
            ImapLiteral literal => new FetchedMessage(uid, literal.Take()),
            ImapQuoted quoted => new FetchedMessage(uid, LiteralBuffer.FromBytes(Encoding.UTF8.GetBytes(quoted.Value))),
            _ => null,
        };
    }

    /// <summary>
    /// Moves messages: <c>UID MOVE</c> (RFC 6851) when offered, else <c>UID COPY</c>, <c>\Deleted</c> and
    /// <c>UID EXPUNGE</c> of those UIDs alone (RFC 4315). Without UIDPLUS the originals stay flagged \Deleted: a plain
    /// EXPUNGE would also remove messages others flagged, and nothing is ever deleted that we did not copy.
    /// </summary>
    public async Task UidMoveAsync(IReadOnlyCollection<uint> uids, string destination, CancellationToken ct)
    {
        if (uids.Count == 0)
            return;
        var set = string.Join(',', uids.Select(Uid));
        if (Has("MOVE"))
        {
            (await RunAsync(new ImapCommand("UID").Atom("MOVE").Atom(set).Mailbox(destination), null, ct)).Dispose();
            return;
        }
        (await RunAsync(new ImapCommand("UID").Atom("COPY").Atom(set).Mailbox(destination), null, ct)).Dispose();
        (await RunAsync(new ImapCommand("UID").Atom("STORE").Atom(set).Atom(@"+FLAGS.SILENT (\Deleted)"), null, ct)).Dispose();
        if (Has("UIDPLUS"))
            (await RunAsync(new ImapCommand("UID").Atom("EXPUNGE").Atom(set), null, ct)).Dispose();
        else
            log.LogWarning("server lacks MOVE and UIDPLUS: messages {Uids} stay flagged \\Deleted in the source folder", set);
    }

    /// <summary>Creates a mailbox; false when it already exists (RFC 5530 ALREADYEXISTS).</summary>
    public async Task<bool> CreateAsync(string mailbox, CancellationToken ct)
    {
        try
        {
            (await RunAsync(new ImapCommand("CREATE").Mailbox(mailbox), null, ct)).Dispose();
            return true;
        }
        catch (ImapCommandException e) when (e.Code == "ALREADYEXISTS")
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<ImapMailbox>> ListAsync(string reference, string pattern, CancellationToken ct)
    {
        var found = new List<ImapMailbox>();
        (await RunAsync(new ImapCommand("LIST").Mailbox(reference).Mailbox(pattern), response =>
        {
            using (response)
            {
                // RFC 3501 §7.2.2: (attributes) delimiter-or-NIL name
                if (response.Name != "LIST" || response.Data is not [ImapList attributes, var delimiter, var name, ..] || name.Text is not { } wire)
                    return;
                string decoded;
                try
                {
                    decoded = ModifiedUtf7.Decode(wire);
                }
                catch (FormatException)
                {
                    decoded = wire;
                }
                found.Add(new ImapMailbox(decoded, delimiter.Text is [var d] ? d : null, [.. attributes.Items.Select(a => a.Text ?? "")]));
            }
        }, ct)).Dispose();
        return found;
    }

    /// <summary>Appends a message; returns its UID when the server tells it (RFC 4315 APPENDUID).</summary>
    public async Task<uint?> AppendAsync(string mailbox, Stream message, long length, CancellationToken ct)
    {
        using var done = await RunAsync(new ImapCommand("APPEND").Mailbox(mailbox).Literal(message, length), null, ct);
        return done.Code == "APPENDUID" && done.CodeArguments.Split(' ') is [_, var uid] ? ParseUid(uid) : null;
    }

    /// <summary>
    /// IDLE (RFC 2177) until the server reports new mail, <paramref name="duration"/> passes (keep it under the
    /// 29 minutes servers allow), or <paramref name="ct"/> is cancelled; then DONE. True when new mail was reported.
    /// </summary>
    public async Task<bool> IdleAsync(TimeSpan duration, CancellationToken ct)
    {
        if (!Has("IDLE"))
            throw new InvalidOperationException("server does not offer IDLE");
        if (ct.IsCancellationRequested)
            return false;
        // Only the wait is cancellable; the IDLE and DONE exchanges are short and bounded by the response timeout.
        var tag = NextTag();
        await connection.WriteAsync(Encoding.ASCII.GetBytes(tag + " IDLE\r\n"), CancellationToken.None);
        while (true)
        {
            using var response = await connection.ReadAsync(CancellationToken.None);
            if (response.Kind == ImapResponseKind.Continuation)
                break;
            if (response.Kind == ImapResponseKind.Tagged)
                throw Failure("IDLE", response);
            Observe(response, "IDLE");
        }
        var newMail = false;
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            wait.CancelAfter(duration);
            while (!newMail)
            {
                try
                {
                    await connection.WaitForDataAsync(wait.Token);
                }
                catch (OperationCanceledException) when (wait.IsCancellationRequested)
                {
                    break;
                }
                using var response = await connection.ReadAsync(CancellationToken.None);
                if (response.Kind != ImapResponseKind.Untagged)
                    throw new ImapProtocolException($"unexpected response during IDLE: {response}");
                Observe(response, "IDLE");
                newMail = response.Name is "EXISTS" or "RECENT";
            }
        }
        await connection.WriteAsync("DONE\r\n"u8.ToArray(), CancellationToken.None);
        (await FinishAsync("IDLE", tag, null, CancellationToken.None)).Dispose();
        return newMail;
    }

    public async Task NoopAsync(CancellationToken ct) => (await RunAsync(new ImapCommand("NOOP"), null, ct)).Dispose();

    public async Task LogoutAsync(CancellationToken ct) => (await RunAsync(new ImapCommand("LOGOUT"), null, ct)).Dispose();

    /// <summary>
    /// Sends a command and reads until its tagged response. Untagged data goes to <paramref name="onData"/>, which
    /// owns (and disposes) what it is given; continuation requests are answered with the command's next literal,
    /// or with the line <paramref name="onChallenge"/> returns. NO and BAD throw <see cref="ImapCommandException"/>.
    /// </summary>
    private async Task<ImapResponse> RunAsync(ImapCommand command, Action<ImapResponse>? onData, CancellationToken ct,
        Func<string, string>? onChallenge = null)
    {
        var tag = NextTag();
        log.LogDebug("C: {Tag} {Verb}", tag, command.Verb);
        await connection.WriteAsync(Encoding.ASCII.GetBytes(tag + " "), ct);
        foreach (var part in command.Parts)
        {
            await connection.WriteAsync(part.Text, ct);
            if (part.Literal is null)
                continue;
            // RFC 7888: LITERAL+ lets any literal go without waiting; LITERAL- only those up to 4096 bytes.
            var nonSynchronizing = Has("LITERAL+") || (Has("LITERAL-") && part.Length <= 4096);
            await connection.WriteAsync(Encoding.ASCII.GetBytes($"{{{part.Length}{(nonSynchronizing ? "+" : "")}}}\r\n"), ct);
            if (!nonSynchronizing)
            {
                var refused = await AwaitContinuationAsync(command.Verb, tag, onData, ct);
                if (refused is not null)
                    return Completed(command.Verb, refused);
            }
            await connection.WriteAsync(part.Literal, ct);
        }
        await connection.WriteAsync("\r\n"u8.ToArray(), ct);
        return await FinishAsync(command.Verb, tag, onData, ct, onChallenge);
    }

    /// <summary>Waits for "+" before a synchronizing literal; returns the tagged response when the server refuses.</summary>
    private async Task<ImapResponse?> AwaitContinuationAsync(string verb, string tag, Action<ImapResponse>? onData, CancellationToken ct)
    {
        for (var untagged = 0; ; untagged++)
        {
            var response = await connection.ReadAsync(ct);
            if (response.Kind == ImapResponseKind.Continuation)
            {
                response.Dispose();
                return null;
            }
            if (response.Kind == ImapResponseKind.Tagged)
                return CheckTag(response, tag);
            Dispatch(response, verb, onData, untagged);
        }
    }

    private async Task<ImapResponse> FinishAsync(string verb, string tag, Action<ImapResponse>? onData, CancellationToken ct,
        Func<string, string>? onChallenge = null)
    {
        for (var untagged = 0; ; untagged++)
        {
            var response = await connection.ReadAsync(ct);
            switch (response.Kind)
            {
                case ImapResponseKind.Tagged:
                    return Completed(verb, CheckTag(response, tag));
                case ImapResponseKind.Continuation when onChallenge is not null:
                    var text = response.Text;
                    response.Dispose();
                    await connection.WriteAsync(Encoding.ASCII.GetBytes(onChallenge(text) + "\r\n"), ct);
                    break;
                case ImapResponseKind.Continuation:
                    response.Dispose();
                    throw new ImapProtocolException($"unexpected continuation request during {verb}");
                default:
                    Dispatch(response, verb, onData, untagged);
                    break;
            }
        }
    }

    private ImapResponse CheckTag(ImapResponse response, string tag)
    {
        if (response.Tag == tag)
            return response;
        response.Dispose();
        throw new ImapProtocolException($"response for tag {response.Tag} while waiting for {tag}");
    }

    private ImapResponse Completed(string verb, ImapResponse response)
    {
        if (response.Code == "CAPABILITY")
            capabilities = ParseCapabilities(response.CodeArguments);
        if (response.Status == ImapStatus.Ok)
            return response;
        response.Dispose();
        throw Failure(verb, response);
    }

    private void Dispatch(ImapResponse response, string verb, Action<ImapResponse>? onData, int untagged)
    {
        if (untagged >= limits.MaxUntaggedPerCommand)
        {
            response.Dispose();
            throw new ImapProtocolException($"more than {limits.MaxUntaggedPerCommand} untagged responses to {verb}");
        }
        Observe(response, verb);
        if (onData is not null)
            onData(response);
        else
            response.Dispose();
    }

    /// <summary>What every untagged response can tell us, whatever command it came with.</summary>
    private void Observe(ImapResponse response, string verb)
    {
        if (response.Name == "CAPABILITY")
            capabilities = new HashSet<string>(response.Data.Select(t => t.Text ?? ""), StringComparer.OrdinalIgnoreCase);
        else if (response.Code == "CAPABILITY")
            capabilities = ParseCapabilities(response.CodeArguments);
        // RFC 3501 §7.1.5: BYE is the server closing; during LOGOUT it is expected.
        if (response.Status == ImapStatus.Bye && verb != "LOGOUT")
        {
            response.Dispose();
            throw new ImapConnectionException($"server closed the session: BYE {response.Text}");
        }
    }

    private static ImapCommandException Failure(string verb, ImapResponse response) =>
        new(verb, response.Status, response.Code, response.Text);

    private string NextTag() => "A" + (++nextTag).ToString("D4", CultureInfo.InvariantCulture);

    private static HashSet<string> ParseCapabilities(string text) =>
        new(text.Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.OrdinalIgnoreCase);

    private static string Uid(uint uid) => uid.ToString(CultureInfo.InvariantCulture);

    private static uint ParseUid(string? text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var uid) && uid > 0
            ? uid
            : throw new ImapProtocolException($"not a UID: \"{text}\"");

    public async ValueTask DisposeAsync() => await connection.DisposeAsync();
}
