using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DmarcAnalyzer.Tests.Milter;

/// <summary>The MTA side of the milter protocol, as little of it as the tests need.</summary>
internal sealed class MilterTestClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private MilterTestClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<MilterTestClient> ConnectAsync(EndPoint endpoint, CancellationToken ct)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream,
            endpoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint, ct);
        return new MilterTestClient(socket);
    }

    public Task SendAsync(char command, byte[] data, CancellationToken ct)
    {
        var packet = new byte[5 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)data.Length + 1);
        packet[4] = (byte)command;
        data.CopyTo(packet, 5);
        return SendRawAsync(packet, ct);
    }

    public async Task SendRawAsync(byte[] bytes, CancellationToken ct) => await _stream.WriteAsync(bytes, ct);

    public Task SendStringsAsync(char command, CancellationToken ct, params string[] values) =>
        SendAsync(command, Strings(values), ct);

    /// <summary>Reads one reply packet; null when the filter closed the connection.</summary>
    public async Task<(char Command, byte[] Data)?> ReadAsync(CancellationToken ct)
    {
        var header = new byte[5];
        if (!await FillAsync(header, ct))
            return null;
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        var data = new byte[length - 1];
        if (!await FillAsync(data, ct))
            return null;
        return ((char)header[4], data);
    }

    public async Task<char> ReadCommandAsync(CancellationToken ct) =>
        (await ReadAsync(ct))?.Command ?? throw new IOException("filter closed the connection");

    /// <summary>True when the peer has closed (a read returns end of stream).</summary>
    public async Task<bool> IsClosedAsync(CancellationToken ct)
    {
        try
        {
            return await _stream.ReadAsync(new byte[1], ct) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Negotiates and returns the filter's (version, actions, protocol, macro request bytes).</summary>
    public async Task<(uint Version, uint Actions, uint Protocol, byte[] Macros)> NegotiateAsync(uint version, uint actions, uint protocol, CancellationToken ct)
    {
        var data = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(data, version);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), actions);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8), protocol);
        await SendAsync('O', data, ct);
        var reply = await ReadAsync(ct) ?? throw new IOException("no negotiation reply");
        Assert.Equal('O', reply.Command);
        return (BinaryPrimitives.ReadUInt32BigEndian(reply.Data), BinaryPrimitives.ReadUInt32BigEndian(reply.Data.AsSpan(4)),
            BinaryPrimitives.ReadUInt32BigEndian(reply.Data.AsSpan(8)), reply.Data[12..]);
    }

    public static byte[] Strings(params string[] values)
    {
        var bytes = new List<byte>();
        foreach (var value in values)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(value));
            bytes.Add(0);
        }
        return bytes.ToArray();
    }

    public static byte[] ConnectData(string host, string address, ushort port)
    {
        var bytes = new List<byte>(Strings(host)) { (byte)'4', (byte)(port >> 8), (byte)port };
        bytes.AddRange(Strings(address));
        return bytes.ToArray();
    }

    public static byte[] MacroData(char stage, params string[] pairs) =>
        [(byte)stage, .. Strings(pairs)];

    private async Task<bool> FillAsync(byte[] buffer, CancellationToken ct)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, ct);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
