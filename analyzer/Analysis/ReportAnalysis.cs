using DmarcAnalyzer.Analysis.Enrichment;

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

    /// <summary>How many senders <c>Analysis:KnownSenders</c> lists: with none, no failing mail can be told to be the organisation's own.</summary>
    public int KnownSendersListed { get; init; }

    /// <summary>Why reverse DNS names could not be looked up this run (then only cached names are shown), or null.</summary>
    public string? ReverseDnsTrouble { get; init; }

    /// <summary>Per policy domain, its reporters and what their report mail's DKIM showed (red-team F9; absent: not asked).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ReporterIdentity>> Reporters { get; init; } =
        new Dictionary<string, IReadOnlyList<ReporterIdentity>>();
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

/// <summary>
/// One source address: its forward-confirmed PTR name and that name's base domain when known, its sender, and what
/// enrichment found: the catalogued service (hosting networks included) and the network databases' answer.
/// <see cref="LikelyService"/>: unlisted, yet it signs its failing mail with a DKIM domain of its own and sends steadily.
/// </summary>
internal sealed record SourceSummary(string Ip, string? PtrName, string? BaseDomain, string Sender, Tally Tally, bool LikelyService = false)
{
    public Service? Service { get; init; }

    public NetworkFacts Network { get; init; } = NetworkFacts.None;
}

/// <summary>
/// Sources grouped: by the known sender they match, else by the base domain of their PTR name, else the
/// address alone. <see cref="Known"/> says the configuration lists it; <see cref="LikelyService"/> that it is not listed
/// but one of its sources looks like a service the organisation uses (see <see cref="SourceSummary"/>).
/// </summary>
internal sealed record SenderSummary(string Name, bool Known, int Sources, Tally Tally, bool LikelyService = false)
{
    /// <summary>The type of the catalogued service this sender is, when it is one (and not a known sender).</summary>
    public ServiceType? ServiceType { get; init; }
}

/// <summary>The policy the newest report of a domain in the period says was published.</summary>
internal sealed record PublishedPolicy(string Domain, string? P, string? Sp, string? Np, string? Testing);
