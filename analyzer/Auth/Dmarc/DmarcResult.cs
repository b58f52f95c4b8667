namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>The DMARC result (RFC 9989): none when no policy applies or it was not evaluated.</summary>
internal enum DmarcResultCode
{
    None,
    Pass,
    Fail,
    TempError,
    PermError,
}

/// <summary>
/// A DMARC evaluation (RFC 9989).
/// <see cref="Policy"/> is the policy that applies (p, sp or np, per <see cref="PolicySource"/>);
/// <see cref="Disposition"/> is what the receiver should do after t=y testing mode is taken into account.
/// </summary>
internal sealed record DmarcResult(
    DmarcResultCode Result,
    string? FromDomain,
    string? OrganizationalDomain,
    DmarcPolicy? Policy,
    string? PolicySource,
    DmarcPolicy Disposition,
    string? RecordDomain = null,
    bool Testing = false,
    int? Percent = null,
    bool SpfAligned = false,
    bool DkimAligned = false,
    string? AlignedDkimDomain = null,
    string? Reason = null,
    DmarcDiscoveryMode DiscoveryMode = DmarcDiscoveryMode.TreeWalk)
{
    /// <summary>The record's aspf= (relaxed when no record applied).</summary>
    public AlignmentMode SpfAlignment { get; init; }

    /// <summary>The record's adkim= (relaxed when no record applied).</summary>
    public AlignmentMode DkimAlignment { get; init; }

    /// <summary>Whether an SPF domain that was not authenticated could have aligned (<see cref="IdentifierAlignment.CouldAlign"/>).</summary>
    public bool CouldAlignSpf(string domain) => CouldAlign(domain, SpfAlignment);

    /// <summary>Whether a DKIM d= that was not verified could have aligned (<see cref="IdentifierAlignment.CouldAlign"/>).</summary>
    public bool CouldAlignDkim(string domain) => CouldAlign(domain, DkimAlignment);

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

    private bool CouldAlign(string domain, AlignmentMode mode) =>
        FromDomain is { } from && IdentifierAlignment.CouldAlign(domain, from, OrganizationalDomain ?? from, mode);
}
