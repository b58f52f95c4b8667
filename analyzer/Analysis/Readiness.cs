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

internal sealed record Readiness(
    Verdict Verdict,
    long Legitimate,
    long AtRisk,
    double? AtRiskShare,
    IReadOnlyList<PolicyImpact> Impacts,
    IReadOnlyList<SenderToFix> ToFix,
    string NextStep,
    IReadOnlyList<string> Notes);
