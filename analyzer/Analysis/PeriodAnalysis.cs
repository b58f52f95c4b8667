using DmarcAnalyzer.Analysis.Enrichment;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>The analysis of a period in the store: the aggregate reports per domain, the inbound mail of the verdict log, SMTP TLS and failure reports.</summary>
internal static class PeriodAnalysis
{
    /// <param name="enricher">Networks, countries and services of the sources (<see cref="SourceEnricher.None"/>: none).</param>
    /// <param name="resolver">For reverse DNS names; null: only the names cached in the store.</param>
    /// <param name="failureDetails">Show failure reports' addresses and subjects unmasked (<see cref="FailureReportPrivacy.Setting"/>).</param>
    public static async Task<ReportAnalysis> AnalyzeAsync(
        string database, ReportPeriod period, string? domain, KnownSenders known, SourceEnricher enricher, IDnsResolver? resolver, bool failureDetails,
        CancellationToken ct)
    {
        var opening = ReportStages.Start("open store");
        await using var store = await Store.OpenAsync(database, ct);
        var analyzer = new StoreAnalyzer(known.With(await store.KnownSenders.ListAsync(ct)), new ReverseDnsNames(resolver, TimeProvider.System), BaseDomain.Default, enricher);
        opening?.Dispose();
        var analysis = await analyzer.AnalyzeAsync(store.Records, period, domain, ct);
        using var others = ReportStages.Start("inbound, TLS and failure reports");
        return analysis with
        {
            Inbound = await InboundAnalyzer.AnalyzeAsync(store.Verdicts, period, ct),
            Tls = await TlsAnalyzer.AnalyzeAsync(store.TlsReports, period, domain, ct),
            FailureReports = await FailureReportAnalyzer.AnalyzeAsync(store.FailureReports, period, domain, failureDetails, ct),
            Reporters = ReporterIdentities.Of(await store.ReportAuth.ReportersAsync(period.FromUtc, period.ToUtcExclusive, domain, ct)),
        };
    }
}
