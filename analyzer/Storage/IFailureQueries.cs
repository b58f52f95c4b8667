namespace DmarcAnalyzer.Storage;

/// <summary>One stored failure: an input that could not be read, and why.</summary>
internal sealed record FailureRow(long Id, DateTimeOffset Created, string Source, string Reason, long Size, bool RawTruncated);

/// <summary>
/// Reads the inputs that could not be read, with their raw bytes. SQLite (<see cref="FailureQueries"/>) today;
/// PostgreSQL (issue 20) is the second.
/// </summary>
internal interface IFailureQueries
{
    Task<IReadOnlyList<FailureRow>> ListAsync(CancellationToken ct);

    Task<FailureRow?> FindAsync(long id, CancellationToken ct);

    /// <summary>Up to <paramref name="limit"/> failures, newest first, older than <paramref name="beforeId"/> when given (a page of the list).</summary>
    Task<IReadOnlyList<FailureRow>> NewestAsync(long? beforeId, int limit, CancellationToken ct);

    Task<long> CountAsync(CancellationToken ct);

    /// <summary>Copies a failure's raw bytes to <paramref name="output"/> as a stream, without loading them whole.</summary>
    Task CopyRawAsync(long id, Stream output, CancellationToken ct);
}
