using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// What the alert rules read: the store's alert queries and TLS reports, the published records last seen, and DNS for
/// the records as published now (null: the record-changed rule is not evaluated, as with <c>--no-dns</c>).
/// </summary>
internal sealed record AlertSources(IAlertQueries Alerts, ITlsReportQueries TlsReports, IPublishedRecordQueries PublishedRecords, IDnsResolver? Dns)
{
    public static AlertSources Of(Store store, IDnsResolver? dns) => new(store.Alerts, store.TlsReports, store.PublishedRecords, dns);
}

/// <summary>The alerts firing now, and the published records as seen now (remembered by <see cref="AlertState.RecordAsync"/>).</summary>
internal sealed record AlertEvaluation(IReadOnlyList<Alert> Firing, IReadOnlyList<PublishedRecord> Seen);
