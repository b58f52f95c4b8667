namespace DmarcAnalyzer.Dns;

/// <summary>Domain-name rules shared by the wire codec, the zone files and the cache.</summary>
internal static class DnsName
{
    public const int MaxLength = 253;
    public const int MaxLabel = 63;

    /// <summary>Lower-case, without the trailing dot: the one form names are compared in (RFC 4343: case-insensitive).</summary>
    public static string Normalize(string name)
    {
        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        foreach (var c in trimmed)
            if (char.IsUpper(c))
                return trimmed.ToLowerInvariant();
        return trimmed;
    }

    /// <summary>Whether the name can be put on the wire: labels of 1–63 octets, 253 in all (RFC 1035 §2.3.4).</summary>
    public static bool IsValid(string name)
    {
        if (name.Length == 0 || name.Length > MaxLength)
            return false;
        var start = 0;
        while (true)
        {
            var dot = name.IndexOf('.', start);
            var length = (dot < 0 ? name.Length : dot) - start;
            if (length == 0 || length > MaxLabel)
                return false;
            if (dot < 0)
                return true;
            start = dot + 1;
        }
    }

    /// <summary>The reverse-lookup name of an address (RFC 1035 §3.5, RFC 3596 §2.5).</summary>
    public static string Reverse(System.Net.IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        if (bytes.Length == 4)
            return $"{bytes[3]}.{bytes[2]}.{bytes[1]}.{bytes[0]}.in-addr.arpa";
        var sb = new System.Text.StringBuilder(72);
        for (var i = bytes.Length - 1; i >= 0; i--)
            sb.Append("0123456789abcdef"[bytes[i] & 0xF]).Append('.').Append("0123456789abcdef"[bytes[i] >> 4]).Append('.');
        return sb.Append("ip6.arpa").ToString();
    }
}
