using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// The encrypted-archive exceptions approved on the dashboard (<c>dmarc serve</c>), read from the store again every
/// <see cref="RefreshInterval"/>: an approval applies without restarting the milter. They apply beside the
/// configuration's <see cref="FilterOptions.Exceptions"/>. When the store cannot be read the last list read stays.
/// </summary>
internal sealed class StoredExceptions(Func<CancellationToken, Task<Store>> open, TimeProvider time, ILogger<StoredExceptions> logger)
    : BackgroundService
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(30);

    private volatile IReadOnlyList<FilterException> _current = [];

    public IReadOnlyList<FilterException> Current => _current;

    public async Task RefreshAsync(CancellationToken ct)
    {
        await using var store = await open(ct);
        _current = Of(await store.ArchiveExceptions.ApprovedAsync(ct));
    }

    /// <summary>The approved requests as the filter applies them.</summary>
    public static IReadOnlyList<FilterException> Of(IReadOnlyList<ArchiveExceptionRow> approved) =>
        approved.Select(r => new FilterException
        {
            Sender = r.Sender, Recipient = r.Recipient, ApprovedBy = r.DecidedBy ?? "", Reason = r.Reason, Expires = r.Expires,
        }).ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Opening the store runs synchronously (SQLite): off the host's start, so the milter service behind this one
        // (SIGHUP, the verdict writer) starts at once however slow the disk is.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (StoreErrors.IsTheStores(e) || e is IOException or InvalidOperationException)
            {
                logger.LogWarning("approved exceptions not re-read from the store, the last {Count} read stay in force: {Error}", _current.Count, e.Message);
            }
            try
            {
                await Task.Delay(RefreshInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
