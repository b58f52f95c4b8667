namespace DmarcAnalyzer.Reports.Tls;

/// <summary>Caps of <see cref="TlsReportReader"/>; the size of the JSON is capped before it, by the ingest's limits.</summary>
/// <param name="MaxDepth">JSON nesting: a report needs four (report, policies, policy, failure-details entry).</param>
/// <param name="MaxPolicies">Policy blocks in one report.</param>
/// <param name="MaxFailureDetails">Failure-details entries in one report, all policies together.</param>
/// <param name="MaxStringLength">Characters in one string value.</param>
internal sealed record TlsReadLimits(int MaxDepth = 16, int MaxPolicies = 10_000, int MaxFailureDetails = 1_000_000, int MaxStringLength = 64 * 1024)
{
    public static TlsReadLimits Default { get; } = new();
}
