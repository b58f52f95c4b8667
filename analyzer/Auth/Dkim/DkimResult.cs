namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>
/// The outcome of one DKIM-Signature (RFC 8601 §2.7.1 words: pass, fail, neutral, policy, temperror, permerror,
/// none when the message carries no signature). <see cref="HeaderB"/> is the first 8 characters of b= (RFC 6008);
/// <see cref="UnsignedBodyBytes"/> counts canonical body bytes past l=, text anyone could have appended.
/// </summary>
internal sealed record DkimResult(
    string Result,
    string Domain,
    string Selector,
    string? HeaderB,
    string? Reason,
    long? BodyLengthLimit = null,
    long? UnsignedBodyBytes = null,
    string? Identity = null,
    string? Algorithm = null,
    bool KeyTesting = false)
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Neutral = "neutral";
    public const string Policy = "policy";
    public const string TempError = "temperror";
    public const string PermError = "permerror";
    public const string None = "none";
}
