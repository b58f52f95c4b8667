namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>
/// A DMARC evaluation (RFC 9989; RFC 8601 result words: pass, fail, none, temperror, permerror).
/// <see cref="Policy"/> is the policy that applies (p, sp or np, per <see cref="PolicySource"/>);
/// <see cref="Disposition"/> is what the receiver should do after t=y testing mode is taken into account.
/// </summary>
internal sealed record DmarcResult(
    string Result,
    string? FromDomain,
    string? OrganizationalDomain,
    string? Policy,
    string? PolicySource,
    string Disposition,
    string? RecordDomain = null,
    bool Testing = false,
    int? Percent = null,
    bool SpfAligned = false,
    bool DkimAligned = false,
    string? AlignedDkimDomain = null,
    string? Reason = null,
    DmarcDiscoveryMode DiscoveryMode = DmarcDiscoveryMode.TreeWalk)
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string None = "none";
    public const string TempError = "temperror";
    public const string PermError = "permerror";

    /// <summary>The policy record in force (as a receiver applies it, RFC 9989 §4.10.1), for aggregate reports; null without one.</summary>
    public DmarcRecord? Record { get; init; }

    /// <summary>
    /// What became of an old record's pct= (RFC 9989 removed it, Appendix A): pct=0 asked that the policy not be
    /// applied, which t=y now says, so it is read as t=y; any other value is ignored and the policy applies to every
    /// message. Null when the record has no pct= or pct=100, which changes nothing.
    /// </summary>
    public string? PercentNote => Percent switch
    {
        null or 100 => null,
        0 => "pct=0 read as t=y, pct being removed by RFC 9989",
        var p => $"pct={p} ignored, removed by RFC 9989: policy applied to every message",
    };
}
