namespace DmarcAnalyzer.Storage;

/// <summary>A domain's record of one kind as last seen in DNS; <see cref="Text"/> is empty when it published none.</summary>
internal sealed record PublishedRecord(string Domain, PublishedRecordKind Kind, string Text);

internal enum PublishedRecordKind { Dmarc, Spf }

/// <summary>A DKIM selector that reports show passing for a signing domain, and the end of the newest such report.</summary>
internal sealed record SeenSelector(string Domain, string Selector, long LastSeenUtc);

/// <summary>The published records the record-changed alert compares with (<see cref="PublishedRecordQueries"/>).</summary>
internal interface IPublishedRecordQueries
{
    Task<IReadOnlyList<PublishedRecord>> LastSeenAsync(CancellationToken ct);

    /// <summary>Remembers these records as the last seen, in one transaction.</summary>
    Task SaveAsync(IReadOnlyList<PublishedRecord> seen, DateTimeOffset now, CancellationToken ct);

    /// <summary>The DKIM selectors (domain and selector in lower case) that passed in reports beginning since <paramref name="sinceUtc"/>.</summary>
    Task<IReadOnlyList<SeenSelector>> SelectorsSeenAsync(long sinceUtc, CancellationToken ct);
}
