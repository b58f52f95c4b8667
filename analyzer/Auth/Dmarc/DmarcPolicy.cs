namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>A DMARC policy (RFC 9989 p=, sp=, np=), and the disposition a receiver applies (RFC 9990 §3.1.5).</summary>
internal enum DmarcPolicy
{
    None,
    Quarantine,
    Reject,
}

/// <summary>A policy as a DMARC record spells it, which Authentication-Results reuses (policy.dmarc=, dis=).</summary>
internal static class DmarcPolicyWords
{
    public static string Word(this DmarcPolicy policy) => policy switch
    {
        DmarcPolicy.None => "none",
        DmarcPolicy.Quarantine => "quarantine",
        _ => "reject",
    };

    /// <summary>The policy a tag value names (without case), or null when it names none.</summary>
    public static DmarcPolicy? Parse(string value) => value.ToLowerInvariant() switch
    {
        "none" => DmarcPolicy.None,
        "quarantine" => DmarcPolicy.Quarantine,
        "reject" => DmarcPolicy.Reject,
        _ => null,
    };
}

/// <summary>How strict a disposition is, rising from none to quarantine to reject.</summary>
internal static class DmarcPolicyStrictness
{
    public static int Strictness(this DmarcPolicy policy) => policy switch
    {
        DmarcPolicy.Reject => 2,
        DmarcPolicy.Quarantine => 1,
        _ => 0,
    };
}
