namespace DmarcAnalyzer.Ingest;

/// <summary>
/// Counts of one or more ingests. <see cref="New"/>, <see cref="Duplicate"/> and <see cref="Records"/> are of aggregate
/// reports (<see cref="Records"/> counts the records of new ones); <see cref="Failed"/> counts inputs and reports of every
/// kind that could not be read; the others count SMTP TLS reports and DMARC failure reports.
/// </summary>
internal sealed record IngestOutcome(int New, int Duplicate, int Failed, long Records,
    int TlsNew = 0, int TlsDuplicate = 0, int FailureReportsNew = 0, int FailureReportsDuplicate = 0)
{
    public static readonly IngestOutcome None = new(0, 0, 0, 0);

    public static IngestOutcome operator +(IngestOutcome a, IngestOutcome b) =>
        new(a.New + b.New, a.Duplicate + b.Duplicate, a.Failed + b.Failed, a.Records + b.Records,
            a.TlsNew + b.TlsNew, a.TlsDuplicate + b.TlsDuplicate,
            a.FailureReportsNew + b.FailureReportsNew, a.FailureReportsDuplicate + b.FailureReportsDuplicate);

    /// <summary>Reports of every kind now in the store, new or there before.</summary>
    public int StoredReports => New + Duplicate + TlsNew + TlsDuplicate + FailureReportsNew + FailureReportsDuplicate;

    /// <summary>The contract line scripts read (design.md): the last line of <c>ingest</c> and <c>poll --once</c>.</summary>
    public string ToSummaryLine() => $"reports: {New} new, {Duplicate} duplicate, {Failed} failed; records: {Records}";

    /// <summary>The line printed just before <see cref="ToSummaryLine"/> (design.md), null when no TLS or failure report was seen.</summary>
    public string? ToOtherKindsLine() =>
        TlsNew + TlsDuplicate + FailureReportsNew + FailureReportsDuplicate == 0
            ? null
            : $"tls reports: {TlsNew} new, {TlsDuplicate} duplicate; failure reports: {FailureReportsNew} new, {FailureReportsDuplicate} duplicate";
}
