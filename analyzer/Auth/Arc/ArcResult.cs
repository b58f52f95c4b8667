namespace DmarcAnalyzer.Auth.Arc;

/// <summary>The chain validation status (RFC 8617 §4.4), with temperror when a key lookup failed for now (RFC 6376 §6.1.2).</summary>
internal enum ArcChainState
{
    None,
    Pass,
    Fail,
    TempError,
}

/// <summary>
/// What the ARC chain of a message says: its state, how many sets it has, why it failed, the newest set's sealer
/// (its ARC-Seal's d=) and what that hop's ARC-Authentication-Results said, and the oldest instance whose
/// ARC-Message-Signature still verifies (RFC 8617 §5.2 step 6), when known.
/// </summary>
internal sealed record ArcResult(ArcChainState State, int Sets = 0, string? Reason = null, string? Sealer = null,
    ArcHopResults? NewestHop = null, int? OldestPass = null)
{
    public static readonly ArcResult None = new(ArcChainState.None);

}
