namespace DmarcAnalyzer.Dns;

/// <summary>The record types we ask for and understand (RFC 1035 §3.2.2, RFC 3596 for AAAA).</summary>
internal enum DnsType : ushort
{
    A = 1,
    Cname = 5,
    Soa = 6,
    Ptr = 12,
    Mx = 15,
    Txt = 16,
    Aaaa = 28,
    Opt = 41,
}
