using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Milter;

/// <summary>
/// Accepts MTA connections and runs one <see cref="MilterSession"/> per connection. Framing follows Kestrel:
/// read what the pipe has, take off whole frames in place, tell the pipe what was consumed and examined.
/// </summary>
internal sealed class MilterServer(IMilterHandler handler, MilterOptions options, ILogger<MilterServer> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly CancellationTokenSource _abort = new();
    private Socket? _listener;
    private long _nextId;

    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    public EndPoint? LocalEndPoint => _listener?.LocalEndPoint;

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
                if (_connections.Count >= options.MaxConnections)
                {
                    logger.LogWarning("connection limit {Limit} reached; closing a new connection", options.MaxConnections);
                    socket.Dispose();
                    continue;
                }
                var id = Interlocked.Increment(ref _nextId);
                // The connection starts only once it is registered, so its own removal cannot come first.
                var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _connections[id] = ServeAsync(id, socket, registered.Task, stopping);
                registered.SetResult();
            }
        }
        finally
        {
            var unixPath = (listener.LocalEndPoint as UnixDomainSocketEndPoint)?.ToString();
            listener.Dispose();
            if (unixPath is not null)
                File.Delete(unixPath);
        }
        var all = Task.WhenAll(_connections.Values);
        if (await Task.WhenAny(all, Task.Delay(options.ShutdownTimeout, CancellationToken.None)) != all)
        {
            logger.LogWarning("{Count} connections still busy after {Timeout}; closing them", _connections.Count, options.ShutdownTimeout);
            await _abort.CancelAsync();
            await all;
        }
    }

    private async Task ServeAsync(long id, Socket socket, Task registered, CancellationToken stopping)
    {
        await registered;
        try
        {
            await ServeConnectionAsync(socket, stopping);
        }
        finally
        {
            _connections.TryRemove(id, out _);
        }
    }

    private async Task ServeConnectionAsync(Socket socket, CancellationToken stopping)
    {
        var tcp = socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6;
        if (tcp)
            socket.NoDelay = true;
        var peer = socket.RemoteEndPoint?.ToString() ?? "unix";
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream);
        var writer = PipeWriter.Create(stream);
        await using var session = new MilterSession(handler, options, logger);
        var partial = false;
        try
        {
            while (true)
            {
                var busy = partial || session.InMessage;
                using var wait = busy
                    ? CancellationTokenSource.CreateLinkedTokenSource(_abort.Token)
                    : CancellationTokenSource.CreateLinkedTokenSource(_abort.Token, stopping);
                wait.CancelAfter(busy ? options.CommandTimeout : options.IdleTimeout);
                ReadResult result;
                try
                {
                    result = await reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    if (!stopping.IsCancellationRequested)
                        logger.LogWarning("milter peer {Peer} silent for {Timeout}; closing", peer, busy ? options.CommandTimeout : options.IdleTimeout);
                    break;
                }
                if (tcp)
                    AcknowledgeNow(socket);
                var buffer = result.Buffer;
                var open = true;
                try
                {
                    while (open && MilterFrame.TryRead(ref buffer, options.MaxPacketSize, out var frame))
                        open = await session.HandleAsync(frame, writer, _abort.Token);
                    partial = !buffer.IsEmpty;
                    if (result.IsCompleted && open)
                    {
                        if (partial)
                            logger.LogWarning("milter peer {Peer} closed inside a packet", peer);
                        open = false;
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
                if (writer.UnflushedBytes > 0)
                    await writer.FlushAsync(_abort.Token);
                if (!open)
                    break;
            }
        }
        catch (MilterProtocolException e)
        {
            logger.LogWarning("milter peer {Peer}: {Error}; closing the connection", peer, e.Message);
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
            await reader.CompleteAsync();
            await writer.CompleteAsync();
        }
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
        await Task.WhenAll(_connections.Values);
        _abort.Dispose();
    }
}
