using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Tests.Dns;

/// <summary>
/// A small authoritative DNS server on 127.0.0.1 (UDP and TCP on one free port) serving a <see cref="TestZone"/>.
/// Written apart from the resolver's codec so the two check each other. Misbehaviours for resolver tests:
/// truncate every UDP answer, send a wrong-ID answer first, send a forged NXDOMAIN with the right ID from another
/// port first (an off-path spoofer who guessed the ID, RFC 5452 §9.1). UDP answers larger than the client's EDNS0 size
/// (512 without EDNS0) come back truncated, as RFC 1035 §4.2.1 and RFC 6891 §6.2.5 say.
/// </summary>
internal sealed class LoopbackDnsServer : IAsyncDisposable
{
    private readonly TestZone _zone;
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private int _udpQueries;
    private int _tcpQueries;

    public LoopbackDnsServer(TestZone zone)
    {
        _zone = zone;
        for (var attempt = 0; ; attempt++)
        {
            _udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)_udp.LocalEndPoint!).Port;
            try
            {
                _tcp = new TcpListener(IPAddress.Loopback, port);
                _tcp.Start();
                EndPoint = new IPEndPoint(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) when (attempt < 20)
            {
                _udp.Dispose();
            }
        }
        _udpLoop = Task.Run(UdpLoopAsync);
        _tcpLoop = Task.Run(TcpLoopAsync);
    }

    public IPEndPoint EndPoint { get; }
    public bool TruncateAllUdp { get; set; }
    public bool WrongIdFirst { get; set; }
    public bool ForgedFromOtherPortFirst { get; set; }
    public int UdpQueries => Volatile.Read(ref _udpQueries);
    public int TcpQueries => Volatile.Read(ref _tcpQueries);

    /// <summary>EDNS0 payload sizes the queries advertised, in arrival order (0: no OPT record).</summary>
    public List<int> AdvertisedSizes { get; } = [];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Stop();
        try
        {
            await Task.WhenAll(_udpLoop, _tcpLoop);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopping
        }
        _stop.Dispose();
    }

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[4096];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Interlocked.Increment(ref _udpQueries);
            var query = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            var response = Respond(query, udp: true);
            if (response is null)
                continue;
            if (WrongIdFirst)
            {
                var forged = (byte[])response.Clone();
                forged[0] ^= 0x5A;
                await _udp.SendToAsync(forged, received.RemoteEndPoint);
            }
            if (ForgedFromOtherPortFirst)
                await SendForgeryAsync(query, received.RemoteEndPoint);
            await _udp.SendToAsync(response, received.RemoteEndPoint);
        }
    }

    /// <summary>An NXDOMAIN for the question, right ID, sent from a socket on another port of the same address.</summary>
    private static async Task SendForgeryAsync(byte[] query, EndPoint client)
    {
        var forged = query.ToArray();
        forged[2] = (byte)(0x84 | (query[2] & 0x01));
        forged[3] = 0x83;
        forged[6] = forged[7] = forged[8] = forged[9] = forged[10] = forged[11] = 0;
        var at = 12;
        while (forged[at] != 0)
            at += forged[at] + 1;
        using var spoofer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        spoofer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await spoofer.SendToAsync(forged.AsMemory(0, at + 5), client);
    }

    private async Task TcpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcp.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Task.Run(() => ServeTcpAsync(client));
        }
    }

    private async Task ServeTcpAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var prefix = new byte[2];
                await stream.ReadExactlyAsync(prefix, _stop.Token);
                var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                await stream.ReadExactlyAsync(query, _stop.Token);
                Interlocked.Increment(ref _tcpQueries);
                var response = Respond(query, udp: false);
                if (response is null)
                    return;
                var framed = new byte[response.Length + 2];
                BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)response.Length);
                response.CopyTo(framed, 2);
                await stream.WriteAsync(framed, _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                // the client went away
            }
        }
    }

    /// <summary>The answer to one query, or null to stay silent (a timeout).</summary>
    private byte[]? Respond(byte[] query, bool udp)
    {
        if (query.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(4)) != 1)
            return null;
        var at = 12;
        var labels = new List<string>();
        while (at < query.Length && query[at] != 0)
        {
            labels.Add(Encoding.UTF8.GetString(query, at + 1, query[at]));
            at += query[at] + 1;
        }
        at++;
        var questionEnd = at + 4;
        var qtype = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(at));
        var qname = string.Join('.', labels);
        var advertised = 0;
        if (BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(10)) > 0 && questionEnd + 11 <= query.Length
            && BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(questionEnd + 1)) == (ushort)DnsType.Opt)
            advertised = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(questionEnd + 3));
        lock (AdvertisedSizes)
            AdvertisedSizes.Add(advertised);

        var answers = new List<byte[]>();
        var rcode = 0;
        var owner = qname;
        for (var hop = 0; hop < 16; hop++)
        {
            if (!_zone.TryGet(owner, out var node))
            {
                if (hop == 0)
                    rcode = 3;
                break;
            }
            if (node.ServFails)
            {
                rcode = 2;
                break;
            }
            var matching = node.Records.Where(r => r.Type == qtype).ToList();
            if (matching.Count == 0 && qtype != (ushort)DnsType.Cname
                && node.Records.FirstOrDefault(r => r.Type == (ushort)DnsType.Cname) is { Rdata: not null } alias)
            {
                answers.Add(Record(owner, alias.Type, alias.Rdata, alias.Ttl));
                owner = DecodeName(alias.Rdata);
                continue;
            }
            if (matching.Count == 0 && node.TimesOut)
                return null;
            answers.AddRange(matching.Select(r => Record(owner, r.Type, r.Rdata, r.Ttl)));
            break;
        }

        var message = new List<byte>();
        var header = new byte[12];
        query.AsSpan(0, 2).CopyTo(header);
        header[2] = (byte)(0x84 | (query[2] & 0x01)); // QR, AA, RD copied
        header[3] = (byte)(0x80 | rcode); // RA
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)answers.Count);
        var negative = answers.Count == 0 && rcode is 0 or 3;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), (ushort)(negative ? 1 : 0));
        message.AddRange(header);
        message.AddRange(query.AsSpan(12, questionEnd - 12));
        foreach (var answer in answers)
            message.AddRange(answer);
        if (negative)
            message.AddRange(Soa(qname));

        var limit = advertised > 0 ? advertised : 512;
        if (udp && (TruncateAllUdp || message.Count > limit))
        {
            // RFC 2181 §9: set TC and send what fits; we send the question alone.
            var truncated = message.Take(questionEnd).ToArray();
            truncated[2] |= 0x02;
            truncated[6] = truncated[7] = truncated[8] = truncated[9] = 0;
            return truncated;
        }
        return message.ToArray();
    }

    private static byte[] Record(string owner, ushort type, byte[] rdata, uint ttl)
    {
        var name = TestZone.EncodeName(owner);
        var record = new byte[name.Length + 10 + rdata.Length];
        name.CopyTo(record, 0);
        var span = record.AsSpan(name.Length);
        BinaryPrimitives.WriteUInt16BigEndian(span, type);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], 1);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], ttl);
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], (ushort)rdata.Length);
        rdata.CopyTo(span[10..]);
        return record;
    }

    /// <summary>An SOA for the negative answer: its MINIMUM (60) bounds negative caching (RFC 2308 §5).</summary>
    private static byte[] Soa(string qname)
    {
        var rdata = new List<byte>();
        rdata.AddRange(TestZone.EncodeName("ns.test"));
        rdata.AddRange(TestZone.EncodeName("hostmaster.test"));
        var numbers = new byte[20];
        BinaryPrimitives.WriteUInt32BigEndian(numbers.AsSpan(0), 1);
        BinaryPrimitives.WriteUInt32BigEndian(numbers.AsSpan(4), 3600);
        BinaryPrimitives.WriteUInt32BigEndian(numbers.AsSpan(8), 600);
        BinaryPrimitives.WriteUInt32BigEndian(numbers.AsSpan(12), 86400);
        BinaryPrimitives.WriteUInt32BigEndian(numbers.AsSpan(16), 60);
        rdata.AddRange(numbers);
        var zone = qname.Contains('.') ? qname[(qname.IndexOf('.') + 1)..] : qname;
        return Record(zone, (ushort)DnsType.Soa, rdata.ToArray(), 300);
    }

    private static string DecodeName(byte[] wire)
    {
        var labels = new List<string>();
        for (var at = 0; at < wire.Length && wire[at] != 0; at += wire[at] + 1)
            labels.Add(Encoding.UTF8.GetString(wire, at + 1, wire[at]));
        return string.Join('.', labels);
    }
}
