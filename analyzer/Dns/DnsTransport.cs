using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace DmarcAnalyzer.Dns;

/// <summary>
/// Sends one question to the configured servers: UDP first, TCP when the answer comes back truncated
/// (RFC 1035 §4.2, RFC 7766 §5). Each query has a random ID and a fresh socket, so a random source port
/// (RFC 5452 §9.2); an answer whose ID or question differs from ours is ignored and we keep listening.
/// </summary>
// Kept over DnsClient 1.8.0 (DnsClientComparisonTests): it takes a UDP answer from any source port and fails the attempt on a wrong ID.
internal sealed class DnsTransport(IReadOnlyList<IPEndPoint> servers, TimeSpan timeout, int retries)
{
    private const int MaxMessage = 65535;

    public async Task<DnsResponse> ExchangeAsync(string name, DnsType type, CancellationToken ct)
    {
        if (servers.Count == 0)
            throw new DnsTemporaryException("no DNS server configured");
        string? lastError = null;
        for (var attempt = 0; attempt <= retries; attempt++)
        {
            foreach (var server in servers)
            {
                var id = (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);
                var query = DnsQuery.Build(id, name, type);
                try
                {
                    var response = await UdpAsync(server, query, id, name, type, ct);
                    if (response.Truncated)
                        response = await TcpAsync(server, query, id, name, type, ct);
                    return response;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    lastError = $"no answer from {server} within {timeout.TotalSeconds:0.###} s";
                }
                catch (Exception e) when (e is SocketException or IOException or DnsFormatException)
                {
                    lastError = $"{server}: {e.Message}";
                }
            }
        }
        throw new DnsTemporaryException($"{name}/{type}: {lastError}");
    }

    private async Task<DnsResponse> UdpAsync(IPEndPoint server, byte[] query, ushort id, string name, DnsType type, CancellationToken ct)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // A connected UDP socket only takes datagrams from the server's address and port.
        await socket.ConnectAsync(server, ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        await socket.SendAsync(query, SocketFlags.None, deadline.Token);
        var buffer = ArrayPool<byte>.Shared.Rent(MaxMessage);
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                DnsResponse response;
                try
                {
                    response = DnsResponseParser.Parse(buffer.AsSpan(0, n));
                }
                catch (DnsFormatException)
                {
                    continue; // garbage or a forgery attempt: wait for the real answer
                }
                if (Matches(response, id, name, type))
                    return response;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<DnsResponse> TcpAsync(IPEndPoint server, byte[] query, ushort id, string name, DnsType type, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, deadline.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await stream.WriteAsync(framed, deadline.Token);
        var prefix = new byte[2];
        await stream.ReadExactlyAsync(prefix, deadline.Token);
        var body = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(body, deadline.Token);
        var response = DnsResponseParser.Parse(body);
        if (!Matches(response, id, name, type))
            throw new DnsFormatException("TCP answer does not match the question");
        return response;
    }

    private static bool Matches(DnsResponse response, ushort id, string name, DnsType type) =>
        response.Id == id && response.QuestionType == type && response.QuestionName == name;
}

/// <summary>No usable answer (timeouts, unreachable servers): a temporary error, never "no record".</summary>
internal sealed class DnsTemporaryException(string message) : Exception(message);
