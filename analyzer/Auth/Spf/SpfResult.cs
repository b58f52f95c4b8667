namespace DmarcAnalyzer.Auth.Spf;

/// <summary>The results of check_host() (RFC 7208 §2.6).</summary>
internal enum SpfResultCode
{
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}

/// <summary>
/// One evaluation's outcome. <paramref name="Explanation"/> is the expanded <c>exp=</c> text of a fail
/// (RFC 7208 §6.2); <paramref name="Mechanism"/> the term that matched; <paramref name="Reason"/> says why
/// for none, neutral and the errors; the counts are the DNS-querying terms and void lookups used (§4.6.4).
/// </summary>
internal sealed record SpfResult(
    SpfResultCode Code,
    string? Explanation,
    string? Mechanism,
    string? Reason,
    int DnsLookups,
    int VoidLookups);
