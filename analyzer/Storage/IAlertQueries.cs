namespace DmarcAnalyzer.Storage;

/// <summary>What the alert rules read of the store, and the state that makes an alert fire once (<see cref="AlertQueries"/>).</summary>
internal interface IAlertQueries
{
    Task<IReadOnlyList<string>> PolicyDomainsAsync(CancellationToken ct);

    Task<IReadOnlyList<AlertQueries.FailingSource>> NewFailingSourcesAsync(long sinceUtc, long minMessages, CancellationToken ct);

    Task<IReadOnlyList<AlertQueries.PassCount>> PassCountsAsync(long fromUtc, long toUtc, CancellationToken ct);

    Task<long?> LastIngestAsync(CancellationToken ct);

    Task<IReadOnlyList<AlertQueries.FiredAlert>> FiredAsync(CancellationToken ct);

    Task RecordAsync(IReadOnlyList<(AlertQueries.FiredAlert Alert, string Text)> firing, DateTimeOffset now, CancellationToken ct);
}
