using System.Collections.Concurrent;
using System.Net;
using DmarcAnalyzer.Milter;

namespace DmarcAnalyzer.Tests.Milter;

/// <summary>A milter server on a free loopback port with a handler whose decision each test sets.</summary>
internal sealed class MilterServerFixture : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public MilterServerFixture(MilterOptions? options = null, TimeProvider? time = null, System.Buffers.MemoryPool<byte>? pool = null)
    {
        Server = new MilterServer(Handler, options ?? new MilterOptions(), Log, time, pool);
        Server.Start(MilterEndpoint.Parse("inet:127.0.0.1:0"));
        _run = Server.RunAsync(_stop.Token);
    }

    public RecordingHandler Handler { get; } = new();

    public DmarcAnalyzer.Tests.Filter.ListLogger<MilterServer> Log { get; } = new();

    public MilterServer Server { get; }

    public EndPoint EndPoint => Server.LocalEndPoint!;

    public Task<MilterTestClient> ConnectAsync(CancellationToken ct) => MilterTestClient.ConnectAsync(EndPoint, ct);

    /// <summary>Waits (without a time limit of its own: the test's token bounds it) until the server's state meets <paramref name="condition"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
            await Task.Delay(5, ct);
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _run;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Server.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>Records each message it sees and answers with <see cref="Decision"/>.</summary>
    internal sealed class RecordingHandler : IMilterHandler
    {
        public ConcurrentQueue<(MilterEnvelope Envelope, IReadOnlyList<(string, string)> Headers, byte[] Message)> Messages { get; } = new();

        public Func<MilterEnvelope, MilterDecision> Decide { get; set; } = _ => MilterDecision.Accept;

        public bool WantContent { get; set; } = true;

        public bool NeedsContent(MilterEnvelope envelope) => WantContent;

        /// <summary>When set, each message's checks start by waiting on it: a test holds a message in its checks.</summary>
        public Func<CancellationToken, Task>? Checks { get; set; }

        /// <summary>The tokens the handler was given, to see which were cancelled.</summary>
        public ConcurrentQueue<CancellationToken> Tokens { get; } = new();

        public async ValueTask<MilterDecision> EndOfMessageAsync(MilterEnvelope envelope, MessageSpool message, CancellationToken ct)
        {
            Tokens.Enqueue(ct);
            if (Checks is { } checks)
                await checks(ct);
            using var copy = new MemoryStream();
            await using (var read = message.OpenRead())
                await read.CopyToAsync(copy, ct);
            Messages.Enqueue((envelope, message.Headers.ToArray(), copy.ToArray()));
            return Decide(envelope);
        }
    }
}
