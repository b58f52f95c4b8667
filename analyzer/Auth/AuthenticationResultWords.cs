using DmarcAnalyzer.Auth.Arc;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Auth;

/// <summary>
/// The result words of Authentication-Results (RFC 8601 §2.7, RFC 8617 §10.1, RFC 9989's registration) for our result
/// enums, and back: the one place where a result is a word. The header writer, the header readers, the verdict log and
/// the command line's output use it; everything between them compares enums.
/// </summary>
internal static class AuthenticationResultWords
{
    /// <summary>RFC 7208 §2.6 and RFC 8601 §2.7.2.</summary>
    public static string Word(this SpfResultCode code) => code switch
    {
        SpfResultCode.None => "none",
        SpfResultCode.Neutral => "neutral",
        SpfResultCode.Pass => "pass",
        SpfResultCode.Fail => "fail",
        SpfResultCode.SoftFail => "softfail",
        SpfResultCode.TempError => "temperror",
        _ => "permerror",
    };

    /// <summary>RFC 8601 §2.7.1.</summary>
    public static string Word(this DkimResultCode code) => code switch
    {
        DkimResultCode.None => "none",
        DkimResultCode.Pass => "pass",
        DkimResultCode.Fail => "fail",
        DkimResultCode.Policy => "policy",
        DkimResultCode.Neutral => "neutral",
        DkimResultCode.TempError => "temperror",
        _ => "permerror",
    };

    /// <summary>RFC 9989's Authentication-Results registration.</summary>
    public static string Word(this DmarcResultCode code) => code switch
    {
        DmarcResultCode.None => "none",
        DmarcResultCode.Pass => "pass",
        DmarcResultCode.Fail => "fail",
        DmarcResultCode.TempError => "temperror",
        _ => "permerror",
    };

    /// <summary>RFC 8617 §10.1, with temperror as RFC 8601 §2.7.1 has it for DKIM.</summary>
    public static string Word(this ArcChainState state) => state switch
    {
        ArcChainState.None => "none",
        ArcChainState.Pass => "pass",
        ArcChainState.Fail => "fail",
        _ => "temperror",
    };

    /// <summary>The SPF result a word names (without case), or null for a word RFC 7208 does not have.</summary>
    public static SpfResultCode? SpfResult(string word) =>
        Enum.GetValues<SpfResultCode>().Where(v => v.Word().Equals(word, StringComparison.OrdinalIgnoreCase)).Select(v => (SpfResultCode?)v).FirstOrDefault();

    /// <summary>True for "pass", the one word every method shares (RFC 8601 §2.7).</summary>
    public static bool IsPass(string word) => word.Equals("pass", StringComparison.OrdinalIgnoreCase);
}
