using System.Net;

namespace DmarcAnalyzer.Dns;

/// <summary>
/// One resource record in the form the resolver keeps: names are lower-case without the trailing dot;
/// <see cref="Text"/> holds the joined TXT strings or the target name (CNAME, PTR, MX exchange).
/// </summary>
internal sealed record DnsRecord(string Name, DnsType Type, uint Ttl, string Text, IPAddress? Address = null, ushort Preference = 0)
{
    public static DnsRecord Of(string name, uint ttl, IPAddress address) =>
        new(name, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? DnsType.A : DnsType.Aaaa, ttl, "", address);
}
