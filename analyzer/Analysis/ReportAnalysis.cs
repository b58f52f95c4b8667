namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Everything the weekly report shows: one entry per policy domain that has data in the period, and the received
/// mail from the milter's verdict log when it has any.
/// </summary>
internal sealed record ReportAnalysis(ReportPeriod Period, string? DomainFilter, IReadOnlyList<DomainAnalysis> Domains, int OmittedDomains)
{
    public InboundAnalysis? Inbound { get; init; }

    /// <summary>SMTP TLS reports of the period (RFC 8460); null when there are none.</summary>
    public TlsAnalysis? Tls { get; init; }

    /// <summary>DMARC failure reports of the period (RFC 6591); null when there are none.</summary>
    public FailureReportAnalysis? FailureReports { get; init; }
}

internal sealed record DomainAnalysis(
    string Domain,
    PublishedPolicy? Policy,
    Tally Total,
    IReadOnlyList<DayTally> Days,
    IReadOnlyList<WeekTally> Weeks,
    IReadOnlyList<NamedCount> SpfResults,
    IReadOnlyList<NamedCount> DkimResults,
    IReadOnlyList<NamedCount> Dispositions,
    IReadOnlyList<NamedCount> OverrideReasons,
    IReadOnlyList<NamedCount> Reporters,
    IReadOnlyList<SourceSummary> Sources,
    IReadOnlyList<SenderSummary> Senders,
    Readiness Readiness);

internal sealed record DayTally(DateOnly Day, Tally Tally);

internal sealed record WeekTally(IsoWeek Week, Tally Tally);

internal sealed record NamedCount(string Name, long Count);

/// <summary>One source address: its forward-confirmed PTR name and that name's base domain when known, and its sender.</summary>
internal sealed record SourceSummary(string Ip, string? PtrName, string? BaseDomain, string Sender, Tally Tally);

/// <summary>
/// Sources grouped: by the known sender they match, else by the base domain of their PTR name, else the
/// address alone. <see cref="Known"/> says the configuration lists it.
/// </summary>
internal sealed record SenderSummary(string Name, bool Known, int Sources, Tally Tally);

/// <summary>The policy the newest report of a domain in the period says was published.</summary>
internal sealed record PublishedPolicy(string Domain, string? P, string? Sp, string? Np, string? Testing);
