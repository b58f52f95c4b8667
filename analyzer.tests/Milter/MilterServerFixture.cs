using System.Collections.Concurrent;
using System.Net;
using DmarcAnalyzer.Milter;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Milter;

/// <summary>A milter server on a free loopback port with a handler whose decision each test sets.</summary>
internal sealed class MilterServerFixture : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public MilterServerFixture(MilterOptions? options = null)
    {
        Server = new MilterServer(Handler, options ?? new MilterOptions(), NullLogger<MilterServer>.Instance);
        Server.Start(MilterEndpoint.Parse("inet:127.0.0.1:0"));
        _run = Server.RunAsync(_stop.Token);
    }

    public RecordingHandler Handler { get; } = new();

    public MilterServer Server { get; }

    public EndPoint EndPoint => Server.LocalEndPoint!;

    public Task<MilterTestClient> ConnectAsync(CancellationToken ct) => MilterTestClient.ConnectAsync(EndPoint, ct);

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

        public async ValueTask<MilterDecision> EndOfMessageAsync(MilterEnvelope envelope, MessageSpool message, CancellationToken ct)
        {
            using var copy = new MemoryStream();
            await using (var read = message.OpenRead())
                await read.CopyToAsync(copy, ct);
            Messages.Enqueue((envelope, message.Headers.ToArray(), copy.ToArray()));
            return Decide(envelope);
        }
    }
}
