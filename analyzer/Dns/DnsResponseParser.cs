using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace DmarcAnalyzer.Dns;

/// <summary>Parses a response message (RFC 1035 §4.1); every length and pointer is checked against the buffer.</summary>
internal static class DnsResponseParser
{
    private const int MaxRecords = 512;
    private const int MaxPointerJumps = 32;

    public static DnsResponse Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length < 12)
            throw new DnsFormatException("message shorter than its header");
        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        if ((flags & 0x8000) == 0)
            throw new DnsFormatException("not a response");
        var qd = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var an = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var ns = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        if (qd != 1)
            throw new DnsFormatException($"{qd} questions in the response");
        if (an + ns > MaxRecords)
            throw new DnsFormatException("too many records");

        var at = 12;
        var qname = ReadName(message, ref at);
        Need(message, at, 4);
        var qtype = (DnsType)BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
        at += 4;

        var answers = new List<DnsRecord>(an);
        for (var i = 0; i < an; i++)
            if (ReadRecord(message, ref at, out _) is { } record)
                answers.Add(record);

        uint? negativeTtl = null;
        for (var i = 0; i < ns; i++)
        {
            var record = ReadRecord(message, ref at, out var soaMinimum);
            if (record?.Type == DnsType.Soa)
                negativeTtl = Math.Min(record.Ttl, soaMinimum);
        }

        return new DnsResponse(id, (flags & 0x0200) != 0, (DnsRcode)(flags & 0x000F), qname, qtype, answers, negativeTtl);
    }

    /// <summary>Reads one record; types we do not use come back null after being skipped.</summary>
    private static DnsRecord? ReadRecord(ReadOnlySpan<byte> message, ref int at, out uint soaMinimum)
    {
        soaMinimum = 0;
        var name = ReadName(message, ref at);
        Need(message, at, 10);
        var type = (DnsType)BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
        var klass = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]);
        // RFC 2181 §8: a TTL with the top bit set is read as zero.
        var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(at + 4)..]);
        if (ttl > int.MaxValue)
            ttl = 0;
        var length = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 8)..]);
        at += 10;
        Need(message, at, length);
        var end = at + length;
        var rdataStart = at;
        at = end;
        if (klass != 1)
            return null;

        var rdata = message[rdataStart..end];
        switch (type)
        {
            case DnsType.A when length == 4:
            case DnsType.Aaaa when length == 16:
                return new DnsRecord(name, type, ttl, "", new IPAddress(rdata));
            case DnsType.A:
            case DnsType.Aaaa:
                throw new DnsFormatException($"{type} record of {length} octets");
            case DnsType.Txt:
                return new DnsRecord(name, type, ttl, ReadCharacterStrings(rdata));
            case DnsType.Cname:
            case DnsType.Ptr:
            {
                var p = rdataStart;
                var target = ReadName(message, ref p);
                return new DnsRecord(name, type, ttl, target);
            }
            case DnsType.Mx:
            {
                if (length < 3)
                    throw new DnsFormatException("MX record too short");
                var p = rdataStart + 2;
                var exchange = ReadName(message, ref p);
                return new DnsRecord(name, type, ttl, exchange, Preference: BinaryPrimitives.ReadUInt16BigEndian(rdata));
            }
            case DnsType.Soa:
            {
                var p = rdataStart;
                ReadName(message, ref p);
                ReadName(message, ref p);
                Need(message, p, 20);
                soaMinimum = BinaryPrimitives.ReadUInt32BigEndian(message[(p + 16)..]);
                return new DnsRecord(name, type, ttl, "");
            }
            default:
                return null;
        }
    }

    /// <summary>TXT RDATA is one or more length-prefixed strings; RFC 7208 §3.3 joins them without separator.</summary>
    private static string ReadCharacterStrings(ReadOnlySpan<byte> rdata)
    {
        var bytes = new byte[rdata.Length];
        var n = 0;
        var at = 0;
        while (at < rdata.Length)
        {
            var length = rdata[at++];
            if (at + length > rdata.Length)
                throw new DnsFormatException("TXT string runs past its record");
            rdata.Slice(at, length).CopyTo(bytes.AsSpan(n));
            n += length;
            at += length;
        }
        return Encoding.UTF8.GetString(bytes, 0, n);
    }

    /// <summary>Reads a possibly compressed name (RFC 1035 §4.1.4); pointers may only go backwards and are counted.</summary>
    private static string ReadName(ReadOnlySpan<byte> message, ref int at)
    {
        var sb = new StringBuilder(64);
        var position = at;
        var jumps = 0;
        var end = -1;
        while (true)
        {
            Need(message, position, 1);
            var length = message[position];
            if (length == 0)
            {
                position++;
                break;
            }
            if ((length & 0xC0) == 0xC0)
            {
                Need(message, position, 2);
                var target = BinaryPrimitives.ReadUInt16BigEndian(message[position..]) & 0x3FFF;
                if (target >= position || ++jumps > MaxPointerJumps)
                    throw new DnsFormatException("bad compression pointer");
                if (end < 0)
                    end = position + 2;
                position = target;
                continue;
            }
            if ((length & 0xC0) != 0)
                throw new DnsFormatException("unknown label type");
            Need(message, position + 1, length);
            if (sb.Length > 0)
                sb.Append('.');
            foreach (var b in message.Slice(position + 1, length))
                sb.Append((char)(b is >= (byte)'A' and <= (byte)'Z' ? b + 32 : b));
            if (sb.Length > 255)
                throw new DnsFormatException("name longer than 255 octets");
            position += 1 + length;
        }
        at = end >= 0 ? end : position;
        return sb.ToString();
    }

    private static void Need(ReadOnlySpan<byte> message, int at, int count)
    {
        if (at < 0 || at + count > message.Length)
            throw new DnsFormatException("message truncated");
    }
}

internal sealed class DnsFormatException(string message) : Exception(message);
