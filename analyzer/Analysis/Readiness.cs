namespace DmarcAnalyzer.Analysis;

internal enum Verdict
{
    NoData,
    Ready,
    Nearly,
    NotReady,
}

/// <summary>How much legitimate mail a policy would quarantine or reject, had it been published over the period.</summary>
internal sealed record PolicyImpact(string Policy, long Quarantined, long Rejected, double? ShareOfLegitimate);

/// <summary>A sender to fix: authorised but failing, with what it gets wrong.</summary>
internal sealed record SenderToFix(string Name, long Failing, double? ShareOfLegitimate, string Advice);

/// <summary>A sender nobody listed that looks like a service in use, with its failing messages and their share of all mail.</summary>
internal sealed record UnrecognisedSender(string Name, long Failing, double? ShareOfAll, string Advice);

/// <summary>
/// The verdict for the next policy step. <see cref="Unrecognised"/>: senders nobody listed that look like services in use
/// (their failing mail is not counted as legitimate, nor as spoofing in <see cref="Spoofed"/>). <see cref="Gain"/> says
/// what the next step would have stopped, <see cref="NextStep"/> what to do and what it costs.
/// </summary>
internal sealed record Readiness(
    Verdict Verdict,
    long Legitimate,
    long AtRisk,
    double? AtRiskShare,
    IReadOnlyList<PolicyImpact> Impacts,
    IReadOnlyList<SenderToFix> ToFix,
    string NextStep,
    IReadOnlyList<string> Notes)
{
    public IReadOnlyList<UnrecognisedSender> Unrecognised { get; init; } = [];

    public long Spoofed { get; init; }

    public string Gain { get; init; } = "";
}
