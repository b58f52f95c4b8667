using System.Buffers.Binary;
using System.Text;

namespace DmarcAnalyzer.Dns;

/// <summary>Builds a query message (RFC 1035 §4.1) with an EDNS0 OPT record (RFC 6891 §6).</summary>
internal static class DnsQuery
{
    /// <summary>The UDP payload size we advertise: large enough for long TXT sets, small enough to avoid fragmentation trouble.</summary>
    public const ushort UdpPayloadSize = 4096;

    public static byte[] Build(ushort id, string name, DnsType type)
    {
        var buffer = new byte[12 + name.Length + 2 + 4 + 11];
        var span = buffer.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, id);
        span[2] = 0x01; // RD: we are a stub and want the server to recurse (RFC 1035 §4.1.1)
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], 1); // QDCOUNT
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], 1); // ARCOUNT: the OPT record
        var at = 12;
        foreach (var label in name.Split('.'))
        {
            span[at++] = (byte)label.Length;
            at += Encoding.ASCII.GetBytes(label, span[at..]);
        }
        span[at++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 2)..], 1); // class IN
        at += 4;
        span[at++] = 0; // OPT owner: the root
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)DnsType.Opt);
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 2)..], UdpPayloadSize); // CLASS carries the payload size
        // TTL (extended RCODE, version 0, flags) and RDLENGTH stay zero.
        return buffer;
    }
}
