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
    int VoidLookups)
{
    /// <summary>The result's name as RFC 7208 §2.6 and Authentication-Results (RFC 8601 §2.7.2) spell it.</summary>
    public string Word => Code.ToWord();
}

internal static class SpfResultCodeExtensions
{
    public static string ToWord(this SpfResultCode code) => code switch
    {
        SpfResultCode.None => "none",
        SpfResultCode.Neutral => "neutral",
        SpfResultCode.Pass => "pass",
        SpfResultCode.Fail => "fail",
        SpfResultCode.SoftFail => "softfail",
        SpfResultCode.TempError => "temperror",
        _ => "permerror",
    };
}
