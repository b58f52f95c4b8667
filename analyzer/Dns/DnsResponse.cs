namespace DmarcAnalyzer.Dns;

/// <summary>What a server said, reduced to what the resolver needs.</summary>
/// <param name="NegativeTtl">How long a "no such record" may be cached: min(SOA TTL, SOA MINIMUM) from the authority section (RFC 2308 §5).</param>
internal sealed record DnsResponse(
    ushort Id,
    bool Truncated,
    DnsRcode Rcode,
    string QuestionName,
    DnsType QuestionType,
    IReadOnlyList<DnsRecord> Answers,
    uint? NegativeTtl);

internal enum DnsRcode
{
    NoError = 0,
    FormErr = 1,
    ServFail = 2,
    NxDomain = 3,
    NotImp = 4,
    Refused = 5,
}
