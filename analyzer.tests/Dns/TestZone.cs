using System.Buffers.Binary;
using System.Net;
using System.Text;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Tests.Dns;

/// <summary>
/// What <see cref="LoopbackDnsServer"/> serves: records as wire RDATA, names whose queries time out (unless
/// they hold records of the asked type, as the RFC 7208 suite's TIMEOUT means), and names that SERVFAIL.
/// </summary>
internal sealed class TestZone
{
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.OrdinalIgnoreCase);

    public sealed class Node
    {
        public List<(ushort Type, byte[] Rdata, uint Ttl)> Records { get; } = [];
        public bool TimesOut { get; set; }
        public bool ServFails { get; set; }
    }

    public Node this[string name]
    {
        get
        {
            var key = name.TrimEnd('.');
            if (!_nodes.TryGetValue(key, out var node))
                _nodes[key] = node = new Node();
            return node;
        }
    }

    public bool TryGet(string name, out Node node) => _nodes.TryGetValue(name.TrimEnd('.'), out node!);

    public TestZone A(string name, string address, uint ttl = 300) => Add(name, DnsType.A, IPAddress.Parse(address).GetAddressBytes(), ttl);

    public TestZone Aaaa(string name, string address, uint ttl = 300) => Add(name, DnsType.Aaaa, IPAddress.Parse(address).GetAddressBytes(), ttl);

    /// <summary>One TXT record made of the given character-strings; a long string is cut into 255-octet pieces.</summary>
    public TestZone Txt(string name, params string[] strings)
    {
        var rdata = new List<byte>();
        foreach (var s in strings)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            var at = 0;
            do
            {
                var n = Math.Min(255, bytes.Length - at);
                rdata.Add((byte)n);
                rdata.AddRange(bytes.AsSpan(at, n));
                at += n;
            }
            while (at < bytes.Length);
        }
        return Add(name, DnsType.Txt, rdata.ToArray(), 300);
    }

    public TestZone Mx(string name, ushort preference, string exchange)
    {
        var rdata = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(rdata, preference);
        return Add(name, DnsType.Mx, [.. rdata, .. EncodeName(exchange)], 300);
    }

    public TestZone Ptr(string name, string target) => Add(name, DnsType.Ptr, EncodeName(target), 300);

    public TestZone Cname(string name, string target) => Add(name, DnsType.Cname, EncodeName(target), 300);

    public TestZone Add(string name, DnsType type, byte[] rdata, uint ttl)
    {
        this[name].Records.Add(((ushort)type, rdata, ttl));
        return this;
    }

    /// <summary>A name in uncompressed wire form; "" and "." are the root.</summary>
    public static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var encoded = Encoding.UTF8.GetBytes(label);
            bytes.Add((byte)encoded.Length);
            bytes.AddRange(encoded);
        }
        bytes.Add(0);
        return bytes.ToArray();
    }
}
