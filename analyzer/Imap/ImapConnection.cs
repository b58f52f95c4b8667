using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;

namespace DmarcAnalyzer.Imap;

/// <summary>
/// The transport under <see cref="ImapClient"/>: a TCP connection, TLS through <see cref="SslStream"/> (implicit or
/// after STARTTLS), and a pump that moves received bytes into a <see cref="Pipe"/> the way Kestrel's transports do,
/// so a wait can be cancelled without tearing a TLS record apart. Reads time out after
/// <see cref="ImapLimits.ResponseTimeout"/> of server silence; after any failed read or write the connection is broken.
/// </summary>
internal sealed class ImapConnection : IAsyncDisposable
{
    private readonly ImapServer server;
    private readonly ImapLimits limits;
    private readonly Socket socket;
    private Stream stream;
    private Pipe pipe = null!;
    private Task pump = Task.CompletedTask;
    private CancellationTokenSource? pumpStop;
    private ImapResponseReader reader = null!;
    private CancellationTokenSource? silence;

    private ImapConnection(ImapServer server, ImapLimits limits, Socket socket)
    {
        this.server = server;
        this.limits = limits;
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: true);
    }

    public bool IsBroken { get; private set; }
    public bool IsSecure => stream is SslStream;

    public static async Task<ImapConnection> OpenAsync(ImapServer server, ImapLimits limits, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(limits.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(server.Host, server.Port, timeout.Token);
            }
            catch (Exception e)
            {
                socket.Dispose();
                if (e is OperationCanceledException && !ct.IsCancellationRequested)
                    throw new ImapConnectionException($"connecting to {server} timed out after {limits.ConnectTimeout.TotalSeconds:0} s");
                if (e is SocketException)
                    throw new ImapConnectionException($"cannot connect to {server}: {e.Message}", e);
                throw;
            }
        }
        var connection = new ImapConnection(server, limits, socket);
        try
        {
            if (server.Tls == ImapTls.Implicit)
                await connection.AuthenticateTlsAsync(ct);
            connection.StartPump();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the server sends something (or closes); cancelling it leaves the connection intact.</summary>
    public async ValueTask WaitForDataAsync(CancellationToken ct)
    {
        ThrowIfBroken();
        var result = await pipe.Reader.ReadAsync(ct);
        pipe.Reader.AdvanceTo(result.Buffer.Start);
    }

    public async ValueTask<ImapResponse> ReadAsync(CancellationToken ct)
    {
        ThrowIfBroken();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limits.ResponseTimeout);
        silence = timeout;
        try
        {
            return await reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            IsBroken = true;
            throw new ImapConnectionException($"{server} sent nothing for {limits.ResponseTimeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            IsBroken = true;
            throw new ImapConnectionException($"connection to {server} failed: {e.Message}", e);
        }
        catch
        {
            IsBroken = true;
            throw;
        }
        finally
        {
            silence = null;
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        ThrowIfBroken();
        await GuardWriteAsync(async token => await stream.WriteAsync(bytes, token), ct);
    }

    public async ValueTask WriteAsync(Stream content, CancellationToken ct)
    {
        ThrowIfBroken();
        await GuardWriteAsync(async token => await content.CopyToAsync(stream, token), ct);
    }

    /// <summary>
    /// After the server's OK to STARTTLS (RFC 3501 §6.2.1): anything the server sent after that OK was sent in
    /// plain text and could be an attacker's injection, so it is refused; then TLS starts on the same socket.
    /// </summary>
    public async Task StartTlsAsync(CancellationToken ct)
    {
        ThrowIfBroken();
        await StopPumpAsync();
        if (reader.HasBufferedData())
        {
            IsBroken = true;
            throw new ImapProtocolException("server sent data after its STARTTLS reply, before TLS began");
        }
        await AuthenticateTlsAsync(ct);
        StartPump();
    }

    private async Task AuthenticateTlsAsync(CancellationToken ct)
    {
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions { TargetHost = server.Host.Trim('[', ']') };
        if (server.TrustedCertificates is { Count: > 0 } trusted)
        {
            // Only the named CA is trusted; SslStream still checks the host name against the certificate.
            options.CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
            {
                TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
                RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(trusted);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limits.ResponseTimeout);
        try
        {
            await tls.AuthenticateAsClientAsync(options, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            IsBroken = true;
            throw new ImapConnectionException($"TLS handshake with {server} timed out");
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException)
        {
            IsBroken = true;
            throw new ImapConnectionException($"TLS with {server} failed: {e.Message}", e);
        }
        stream = tls;
    }

    private void StartPump()
    {
        // Back-pressure must leave room for a whole line: the parser waits for CRLF before it consumes anything.
        var pause = limits.MaxLineBytes + 64 * 1024;
        pipe = new Pipe(new PipeOptions(pauseWriterThreshold: pause, resumeWriterThreshold: pause / 2, useSynchronizationContext: false));
        reader = new ImapResponseReader(pipe.Reader, limits);
        pumpStop = new CancellationTokenSource();
        pump = PumpAsync(stream, pipe.Writer, pumpStop.Token);
    }

    private async Task StopPumpAsync()
    {
        if (pumpStop is null)
            return;
        await pumpStop.CancelAsync();
        await pump;
        pumpStop.Dispose();
        pumpStop = null;
    }

    private async Task PumpAsync(Stream source, PipeWriter target, CancellationToken ct)
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                var memory = target.GetMemory(16 * 1024);
                var read = await source.ReadAsync(memory, ct);
                if (read == 0)
                    break;
                target.Advance(read);
                ExtendSilenceTimeout();
                var flushed = await target.FlushAsync(ct);
                if (flushed.IsCompleted)
                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped for STARTTLS or dispose. Completing (not flushing, which could wait on a full pipe) still
            // hands the reader every byte received, so STARTTLS can see data injected after its reply.
        }
        catch (Exception e)
        {
            failure = e;
        }
        await target.CompleteAsync(failure);
    }

    /// <summary>The server is sending: a large literal arriving slowly is not silence.</summary>
    private void ExtendSilenceTimeout()
    {
        try
        {
            silence?.CancelAfter(limits.ResponseTimeout);
        }
        catch (ObjectDisposedException)
        {
            // The read it guarded has just finished.
        }
    }

    private async ValueTask GuardWriteAsync(Func<CancellationToken, Task> write, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limits.ResponseTimeout);
        try
        {
            await write(timeout.Token);
            await stream.FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            IsBroken = true;
            throw new ImapConnectionException($"writing to {server} timed out");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            IsBroken = true;
            throw new ImapConnectionException($"connection to {server} failed: {e.Message}", e);
        }
        catch
        {
            IsBroken = true;
            throw;
        }
    }

    private void ThrowIfBroken()
    {
        if (IsBroken)
            throw new ImapConnectionException($"connection to {server} is no longer usable");
    }

    public async ValueTask DisposeAsync()
    {
        IsBroken = true;
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already closed by the peer: nothing to shut down.
        }
        catch (ObjectDisposedException)
        {
            // Already disposed.
        }
        await stream.DisposeAsync();
        await StopPumpAsync();
    }
}
