using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Milter;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Milter;
using Microsoft.Extensions.Logging.Abstractions;
using DmarcAnalyzer.Auth;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>
/// The filter behind a milter server on loopback, fed one message at a time by a test client playing the MTA (macros
/// before SMFIC_CONNECT, as Sendmail and Postfix send them). Verdicts only queue: no store is needed.
/// </summary>
internal sealed class FilterMilterHarness : IAsyncDisposable
{
    private const uint AllActions = 0x1FF;
    private const uint NoReplyFlags = 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000 | 0x80;

    private readonly CancellationTokenSource _stop = new();
    private readonly MilterServer _server;
    private readonly Task _run;

    public FilterMilterHarness(IDnsResolver dns, FilterOptions options, MilterOptions? milter = null, MemoryPool<byte>? pool = null)
    {
        var engine = new FilterEngine(() => options, TimeProvider.System, NullLogger<FilterEngine>.Instance, new MessageAuthenticator(dns, "mx.example.net"));
        var verdicts = new VerdictLog(ct => Store.OpenAsync(":memory:", ct), 100, 10, NullLogger<VerdictLog>.Instance);
        var handler = new FilterMilterHandler(engine, verdicts, TimeProvider.System, NullLogger<FilterMilterHandler>.Instance);
        _server = new MilterServer(new Observing(handler, HeldBytes), milter ?? new MilterOptions(), NullLogger<MilterServer>.Instance, pool: pool);
        _server.Start(MilterEndpoint.Parse("inet:127.0.0.1:0"));
        _run = _server.RunAsync(_stop.Token);
    }

    /// <summary>What each message's spool held in memory when its checks began (all it ever holds: it only grows).</summary>
    public ConcurrentQueue<long> HeldBytes { get; } = new();

    public EndPoint EndPoint => _server.LocalEndPoint!;

    public IReadOnlyList<MilterConnection> Connections => _server.Connections;

    /// <summary>
    /// One message from joe@football.example.com to bob@example.net, from <paramref name="client"/> at
    /// <paramref name="address"/>: the macros the filter asked for, and the packets of its reply up to the final one.
    /// </summary>
    public async Task<(string WantedMacros, List<(char Command, byte[] Data)> Reply)> SendAsync(string[] connectMacros,
        string client, string address, IEnumerable<(string Name, string Value)> headers, CancellationToken ct)
    {
        await using var mta = await MilterTestClient.ConnectAsync(_server.LocalEndPoint!, ct);
        var wanted = await StartAsync(mta, connectMacros, client, address, ct);
        foreach (var (name, value) in headers)
            await mta.SendStringsAsync('L', ct, name, value);
        await mta.SendStringsAsync('L', ct, "Subject", "hi");
        await mta.SendAsync('N', [], ct);
        await mta.SendAsync('B', "body\r\n"u8.ToArray(), ct);
        await mta.SendAsync('E', [], ct);
        var packets = new List<(char Command, byte[] Data)>();
        do
            packets.Add((await mta.ReadAsync(ct))!.Value);
        while (packets[^1].Command is 'h' or 'i' or 'm' or 'q' or 'b');
        return (Encoding.ASCII.GetString(wanted), packets);
    }

    /// <summary>Negotiates and sends the envelope up to RCPT TO; returns the macros the filter asked for.</summary>
    public static async Task<byte[]> StartAsync(MilterTestClient mta, string[] connectMacros, string client, string address, CancellationToken ct)
    {
        var (_, _, _, wanted) = await mta.NegotiateAsync(6, AllActions, NoReplyFlags, ct);
        await mta.SendAsync('D', MilterTestClient.MacroData('C', connectMacros), ct);
        await mta.SendAsync('C', MilterTestClient.ConnectData(client, address, 4321), ct);
        await mta.SendStringsAsync('H', ct, client);
        await mta.SendAsync('D', MilterTestClient.MacroData('M', "i", "Q1"), ct);
        await mta.SendStringsAsync('M', ct, "<joe@football.example.com>");
        await mta.SendStringsAsync('R', ct, "<bob@example.net>");
        return wanted;
    }

    /// <summary>Passes every call on and notes what the message held when its checks began.</summary>
    private sealed class Observing(IMilterHandler inner, ConcurrentQueue<long> held) : IMilterHandler
    {
        public bool NeedsContent(MilterEnvelope envelope) => inner.NeedsContent(envelope);

        public ValueTask<MilterDecision> EndOfMessageAsync(MilterEnvelope envelope, MessageSpool message, CancellationToken ct)
        {
            held.Enqueue(message.HeldBytes);
            return inner.EndOfMessageAsync(envelope, message, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }
}
