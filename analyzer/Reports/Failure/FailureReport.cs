namespace DmarcAnalyzer.Reports.Failure;

/// <summary>
/// A DMARC failure report: an ARF message (RFC 5965) of Feedback-Type auth-failure (RFC 6591, RFC 9991). Report fields
/// are kept as written (trimmed; repeated fields joined with ", "); absent ones are null.
/// </summary>
/// <param name="ReportDate">The report message's own Date.</param>
/// <param name="ReportingDomain">The domain of the report message's From: who sent the report.</param>
/// <param name="Arrival">Arrival-Date read as a time; else the report's Date; null when neither can be read.</param>
/// <param name="Identity">SHA-256 (hex) of the report's raw bytes without its transport header fields (<see cref="FailureReportIdentity"/>).</param>
internal sealed record FailureReport(
    DateTimeOffset? ReportDate,
    string? ReportingDomain,
    string FeedbackType,
    string? UserAgent,
    string? Version,
    string? ReportedDomain,
    string? SourceIp,
    string? AuthFailure,
    string? IdentityAlignment,
    string? DeliveryResult,
    string? DkimDomain,
    string? DkimSelector,
    string? SpfDns,
    string? OriginalMailFrom,
    string? OriginalRcptTo,
    string? ArrivalDate,
    DateTimeOffset? Arrival,
    ReturnedMessage Original,
    string Identity);

/// <summary>What the report returned of the failing message (RFC 6591 section 3.3): its header fields we keep.</summary>
/// <param name="AuthenticationResults">The Authentication-Results fields it carried, one a line; else the report's own.</param>
internal sealed record ReturnedMessage(
    string? From,
    string? To,
    string? Subject,
    string? Date,
    string? MessageId,
    string? AuthenticationResults)
{
    public static ReturnedMessage None { get; } = new(null, null, null, null, null, null);
}
