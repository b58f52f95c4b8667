using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Milter;

/// <summary>
/// Accepts MTA connections and runs one <see cref="MilterSession"/> per connection. Framing follows Kestrel:
/// read what the pipe has, take off whole frames in place, tell the pipe what was consumed and examined. A heartbeat
/// (Kestrel's too) closes connections past their overall deadlines (<see cref="MilterConnection"/>), and near
/// <see cref="MilterOptions.MaxConnections"/> the connections idle longest make room for new ones.
/// </summary>
/// <param name="pool">The pipes' buffers (default: the shared pool); a test counts what is rented and returned.</param>
internal sealed class MilterServer(IMilterHandler handler, MilterOptions options, ILogger<MilterServer> logger,
    TimeProvider? time = null, MemoryPool<byte>? pool = null) : IAsyncDisposable
{
    private static readonly TimeSpan HeartbeatPeriod = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<long, (MilterConnection Connection, Task Serving)> _connections = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly object _reportGate = new();
    private Socket? _listener;
    private long _nextId;
    private int _refused;
    private int _evicted;
    private int _late;
    private long _lastReport = long.MinValue / 2;

    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    public EndPoint? LocalEndPoint => _listener?.LocalEndPoint;

    /// <summary>The connections being served, for the tests' view of what each holds.</summary>
    public IReadOnlyList<MilterConnection> Connections => _connections.Values.Select(c => c.Connection).ToArray();

    /// <summary>From this many connections on, a new one closes the one idle the longest: nine tenths of the limit.</summary>
    private int EvictionThreshold => Math.Max(1, options.MaxConnections - options.MaxConnections / 10);

    public void Start(MilterEndpoint endpoint)
    {
        if (endpoint.EndPoint is UnixDomainSocketEndPoint unix && File.Exists(unix.ToString()))
            File.Delete(unix.ToString()!);
        var socket = endpoint.IsUnix
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endpoint.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (!endpoint.IsUnix)
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint.EndPoint);
            if (endpoint.EndPoint is UnixDomainSocketEndPoint path && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(path.ToString()!, (UnixFileMode)Convert.ToInt32(options.UnixSocketMode, 8));
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _listener = socket;
        logger.LogInformation("milter listening on {Endpoint}", socket.LocalEndPoint);
    }

    /// <summary>
    /// Accepts until <paramref name="stopping"/> fires, then lets messages in progress finish (up to the shutdown
    /// timeout) while idle connections are closed at once.
    /// </summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var listener = _listener ?? throw new InvalidOperationException("Start the server first");
        await using var heartbeat = _time.CreateTimer(_ => Heartbeat(), null, HeartbeatPeriod, HeartbeatPeriod);
        await using (stopping.Register(CloseIdleConnections))
        {
            try
            {
                while (!stopping.IsCancellationRequested)
                {
                    Socket socket;
                    try
                    {
                        socket = await listener.AcceptAsync(stopping);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    catch (SocketException e)
                    {
                        logger.LogWarning("accept failed: {Error}", e.SocketErrorCode);
                        continue;
                    }
                    if (!MakeRoom())
                    {
                        Interlocked.Increment(ref _refused);
                        socket.Dispose();
                        continue;
                    }
                    Serve(socket, stopping);
                }
            }
            finally
            {
                var unixPath = (listener.LocalEndPoint as UnixDomainSocketEndPoint)?.ToString();
                listener.Dispose();
                if (unixPath is not null)
                    File.Delete(unixPath);
            }
            var all = Task.WhenAll(_connections.Values.Select(c => c.Serving));
            if (await Task.WhenAny(all, Task.Delay(options.ShutdownTimeout, _time, CancellationToken.None)) != all)
            {
                logger.LogWarning("{Count} connections still busy after {Timeout}; closing them", _connections.Count, options.ShutdownTimeout);
                await _abort.CancelAsync();
                foreach (var (connection, _) in _connections.Values)
                    connection.Close(MilterCloseReason.Shutdown);
                await all;
            }
        }
        Report(force: true);
    }

    private void Serve(Socket socket, CancellationToken stopping)
    {
        var id = Interlocked.Increment(ref _nextId);
        var connection = new MilterConnection(id, socket.RemoteEndPoint?.ToString() ?? "unix", options, _time);
        // The connection starts only once it is registered, so its own removal cannot come first.
        var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connections[id] = (connection, ServeAsync(connection, socket, registered.Task, stopping));
        registered.SetResult();
    }

    /// <summary>
    /// Near the limit, closes the connection idle between messages the longest (an attacker's idle connections go
    /// before an MTA's that just finished a message); false when at the limit with nothing to close.
    /// </summary>
    private bool MakeRoom()
    {
        if (_connections.Count < EvictionThreshold)
            return true;
        MilterConnection? oldest = null;
        foreach (var (connection, _) in _connections.Values)
        {
            if (!connection.InMessage && connection.ClosedBecause == MilterCloseReason.None
                && (oldest is null || connection.IdleSince < oldest.IdleSince))
                oldest = connection;
        }
        if (oldest is not null && oldest.CloseIfIdle(MilterCloseReason.Evicted))
        {
            Interlocked.Increment(ref _evicted);
            return true;
        }
        return _connections.Count < options.MaxConnections;
    }

    private void CloseIdleConnections()
    {
        foreach (var (connection, _) in _connections.Values)
            connection.CloseIfIdle(MilterCloseReason.Shutdown);
    }

    /// <summary>Closes connections past their deadline and, once a minute at most, says what was closed or refused.</summary>
    internal void Heartbeat()
    {
        var now = _time.GetTimestamp();
        foreach (var (connection, _) in _connections.Values)
        {
            if (connection.CloseIfLate(now))
                Interlocked.Increment(ref _late);
        }
        Report(force: false);
    }

    /// <summary>
    /// One line a minute at most, however many connections an attack makes: a line per refused connection would be
    /// the attacker's way to fill the log.
    /// </summary>
    private void Report(bool force)
    {
        lock (_reportGate)
        {
            var now = _time.GetTimestamp();
            if (!force && now - _lastReport < _time.TimestampFrequency * 60)
                return;
            var (refused, evicted, late) = (Interlocked.Exchange(ref _refused, 0), Interlocked.Exchange(ref _evicted, 0), Interlocked.Exchange(ref _late, 0));
            if (refused + evicted + late == 0)
                return;
            _lastReport = now;
            logger.LogWarning("milter connections since the last report: {Refused} refused at the limit of {Limit}, "
                + "{Evicted} idle ones closed to make room, {Late} closed past their deadline", refused, options.MaxConnections, evicted, late);
        }
    }

    private async Task ServeAsync(MilterConnection connection, Socket socket, Task registered, CancellationToken stopping)
    {
        await registered;
        try
        {
            await ServeConnectionAsync(connection, socket, stopping);
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
        }
    }

    private async Task ServeConnectionAsync(MilterConnection connection, Socket socket, CancellationToken stopping)
    {
        var tcp = socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6;
        if (tcp)
            socket.NoDelay = true;
        var peer = connection.Peer;
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(pool));
        var writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(pool));
        var session = new MilterSession(handler, options, logger);
        try
        {
            while (true)
            {
                var result = await ReadAsync(reader, session, connection.Closing);
                if (tcp)
                    AcknowledgeNow(socket);
                var buffer = result.Buffer;
                var open = true;
                var taken = false;
                try
                {
                    while (open && MilterFrame.TryRead(ref buffer, options.MaxPacketSize, out var frame))
                    {
                        taken = true;
                        open = await session.HandleAsync(frame, writer, _abort.Token);
                    }
                    if (open && session.Decision is { IsCompleted: true })
                        await session.WriteDecisionAsync(writer);
                    if (result.IsCompleted && open)
                    {
                        if (session.Decision is not null)
                            logger.LogInformation("milter peer {Peer} closed the connection during the checks; they are cancelled", peer);
                        else if (!buffer.IsEmpty)
                            logger.LogWarning("milter peer {Peer} closed inside a packet", peer);
                        open = false;
                    }
                    connection.Update(session.InMessage, buffer.Length, taken);
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
                if (writer.UnflushedBytes > 0)
                    await writer.FlushAsync(connection.Closing);
                if (!open || stopping.IsCancellationRequested && !session.InMessage)
                    break;
            }
        }
        catch (MilterProtocolException e)
        {
            logger.LogWarning("milter peer {Peer}: {Error}; closing the connection", peer, e.Message);
        }
        catch (OperationCanceledException) when (connection.ClosedBecause != MilterCloseReason.None)
        {
            // Counted for the minute's report; one line per connection would let an attacker fill the log.
            logger.LogDebug("milter peer {Peer} closed: {Reason}", peer, connection.ClosedBecause);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            logger.LogDebug("milter peer {Peer} gone: {Error}", peer, e.Message);
        }
        catch (Exception e)
        {
            logger.LogError(e, "milter connection from {Peer} failed", peer);
        }
        finally
        {
            // Checks still running are cancelled and the message let go before the pipes return their buffers.
            await session.DisposeAsync();
            await reader.CompleteAsync();
            await writer.CompleteAsync();
        }
    }

    /// <summary>
    /// Reads the next bytes. While the handler decides a message the read stays pending beside it, so that an abort,
    /// a quit or a closed socket cancels the checks at once; when the verdict comes first the read is called off
    /// (its result is then marked cancelled and holds whatever did arrive). A verdict that came after the loop last
    /// looked for one calls the read off too: the MTA sends nothing until it has the reply, so nothing else would end it.
    /// </summary>
    private static async ValueTask<ReadResult> ReadAsync(PipeReader reader, MilterSession session, CancellationToken ct)
    {
        var read = reader.ReadAsync(ct);
        if (read.IsCompleted || session.Decision is not { } decision)
            return await read;
        var reading = read.AsTask();
        if (await Task.WhenAny(decision, reading) != reading)
            reader.CancelPendingRead();
        return await reading;
    }

    /// <summary>
    /// The MTA writes the no-reply packets one after another with Nagle on; each waits for our ACK, which Linux
    /// delays up to 40 ms when we have nothing to send. TCP_QUICKACK (not sticky, so set after every read) makes
    /// the kernel acknowledge at once.
    /// </summary>
    private static void AcknowledgeNow(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
            return;
        const int ipProtoTcp = 6, tcpQuickAck = 12;
        try
        {
            socket.SetRawSocketOption(ipProtoTcp, tcpQuickAck, [1, 0, 0, 0]);
        }
        catch (SocketException)
        {
            // Only a latency optimisation: without it the connection works the same.
        }
        catch (ObjectDisposedException)
        {
            // The peer went away between the read and here; the loop notices on its next read.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _abort.CancelAsync();
        _listener?.Dispose();
        foreach (var (connection, _) in _connections.Values)
            connection.Close(MilterCloseReason.Shutdown);
        await Task.WhenAll(_connections.Values.Select(c => c.Serving));
        _abort.Dispose();
    }
}
