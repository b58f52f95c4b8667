namespace DmarcAnalyzer.Dns;

/// <summary>
/// The answer for one name and type, before aliases are followed: the records, or an outcome, or the
/// CNAME target to ask next. <paramref name="Ttl"/> is how long the answer may be cached; <paramref name="Aliases"/>
/// counts the CNAME links the server already followed for us, and <paramref name="Chain"/> names the alias targets
/// it passed through, in order (so that a local zone record for one of them can win).
/// </summary>
internal sealed record DnsAnswer(
    DnsOutcome Outcome,
    IReadOnlyList<DnsRecord> Records,
    uint Ttl,
    string? CnameTarget = null,
    string? Error = null,
    int Aliases = 0,
    IReadOnlyList<string>? Chain = null)
{
    public static DnsAnswer Temporary(string why) => new(DnsOutcome.TempError, [], 0, Error: why);
}
