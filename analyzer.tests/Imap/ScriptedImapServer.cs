using System.Net;
using System.Net.Sockets;
using System.Text;
using DmarcAnalyzer.Imap;

namespace DmarcAnalyzer.Tests.Imap;

/// <summary>
/// A fake IMAP server on 127.0.0.1 that plays a script against one connection: it reads the client's command
/// lines and sends exactly the bytes the test gives it, hostile ones included.
/// </summary>
internal sealed class ScriptedImapServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly Task session;
    private readonly CancellationTokenSource stop = new();

    public ScriptedImapServer(Func<Session, Task> script)
    {
        listener.Start();
        session = RunAsync(script);
    }

    public ImapServer Endpoint => new("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, ImapTls.None);

    /// <summary>Waits for the script to finish (a stuck script fails the test) and rethrows what it failed on.</summary>
    public Task Completion => session.WaitAsync(TimeSpan.FromSeconds(30));

    private async Task RunAsync(Func<Session, Task> script)
    {
        using var client = await listener.AcceptTcpClientAsync(stop.Token);
        await using var stream = client.GetStream();
        await script(new Session(stream, stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await session;
        }
        catch (Exception)
        {
            // The test already asserted what mattered; a script cut short by the client's hang-up is expected.
        }
        stop.Dispose();
    }

    internal sealed class Session(NetworkStream stream, CancellationToken ct)
    {
        private readonly List<byte> pending = [];

        public NetworkStream Stream => stream;

        public async Task SendAsync(string text) => await stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct);

        public async Task SendAsync(byte[] bytes) => await stream.WriteAsync(bytes, ct);

        /// <summary>Reads one command line and checks it starts (after the tag) with <paramref name="expected"/>; returns the tag.</summary>
        public async Task<string> ExpectAsync(string expected)
        {
            var line = await ReadLineAsync();
            var space = line.IndexOf(' ');
            Assert.True(space > 0, $"no tag in \"{line}\"");
            Assert.StartsWith(expected, line[(space + 1)..]);
            return line[..space];
        }

        public async Task<string> ReadLineAsync()
        {
            while (true)
            {
                var end = pending.IndexOf((byte)'\n');
                if (end >= 0)
                {
                    var line = Encoding.UTF8.GetString([.. pending.Take(end)]).TrimEnd('\r');
                    pending.RemoveRange(0, end + 1);
                    return line;
                }
                await FillAsync();
            }
        }

        public async Task<byte[]> ReadBytesAsync(int count)
        {
            while (pending.Count < count)
                await FillAsync();
            var bytes = pending.Take(count).ToArray();
            pending.RemoveRange(0, count);
            return bytes;
        }

        /// <summary>Waits until the client hangs up.</summary>
        public async Task ExpectCloseAsync()
        {
            var buffer = new byte[4096];
            while (await stream.ReadAsync(buffer, ct) > 0)
            {
            }
        }

        private async Task FillAsync()
        {
            var buffer = new byte[4096];
            var n = await stream.ReadAsync(buffer, ct);
            if (n == 0)
                throw new EndOfStreamException("client closed the connection");
            pending.AddRange(buffer.AsSpan(0, n));
        }
    }
}
