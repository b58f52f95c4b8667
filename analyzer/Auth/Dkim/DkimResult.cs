namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>
/// The outcome of one DKIM-Signature (RFC 6376 §6.1, with the results RFC 8601 §2.7.1 names): none when the message
/// carries no signature; neutral for a signature that was not verified (its body not read); policy for one that
/// verifies but that our rules refuse (RFC 8301: rsa-sha1, short keys).
/// </summary>
internal enum DkimResultCode
{
    None,
    Pass,
    Fail,
    Policy,
    Neutral,
    TempError,
    PermError,
}

/// <summary>
/// The outcome of one DKIM-Signature. <see cref="HeaderB"/> is the first 8 characters of b= (RFC 6008);
/// <see cref="UnsignedBodyBytes"/> counts canonical body bytes past l=, text anyone could have appended.
/// </summary>
internal sealed record DkimResult(
    DkimResultCode Result,
    string Domain,
    string Selector,
    string? HeaderB,
    string? Reason,
    long? BodyLengthLimit = null,
    long? UnsignedBodyBytes = null,
    string? Identity = null,
    string? Algorithm = null,
    bool KeyTesting = false);
