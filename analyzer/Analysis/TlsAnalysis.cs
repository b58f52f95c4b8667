using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Analysis;

/// <summary>The SMTP TLS reports of the period (RFC 8460), per policy domain; null in <see cref="ReportAnalysis"/> when there are none.</summary>
internal sealed record TlsAnalysis(IReadOnlyList<TlsDomainAnalysis> Domains);

/// <summary>
/// One policy domain's TLS sessions as the sending MTAs reported them. <see cref="NoPolicySessions"/> counts sessions under
/// policy-type no-policy-found: the domain publishes neither MTA-STS nor DANE for them (a readiness step, RFC 8461).
/// </summary>
/// <param name="Domain">The policy-domain; "(none)" when reports left it out.</param>
internal sealed record TlsDomainAnalysis(
    string Domain,
    TlsSessions Total,
    long NoPolicySessions,
    IReadOnlyList<NamedCount> PolicyTypes,
    IReadOnlyList<TlsDay> Days,
    IReadOnlyList<TlsWeek> Weeks,
    IReadOnlyList<NamedCount> ResultTypes,
    IReadOnlyList<NamedCount> FailingMxHosts,
    IReadOnlyList<NamedCount> SendingIps)
{
    /// <summary>Who sent the domain's reports, with what their report mail's DKIM showed (red-team F9).</summary>
    public IReadOnlyList<ReporterIdentity> Reporters { get; init; } = [];
}

internal sealed record TlsSessions(long Successful, long Failed)
{
    public long Total => ReportCount.Add(Successful, Failed);

    /// <summary>Successful sessions as a share of all; null when there were none.</summary>
    public double? SuccessRate => Total == 0 ? null : (double)Successful / Total;

    public static TlsSessions operator +(TlsSessions a, TlsSessions b) => new(ReportCount.Add(a.Successful, b.Successful), ReportCount.Add(a.Failed, b.Failed));
}

internal sealed record TlsDay(DateOnly Day, TlsSessions Sessions);

internal sealed record TlsWeek(IsoWeek Week, TlsSessions Sessions);
