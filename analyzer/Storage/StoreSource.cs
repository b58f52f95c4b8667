using DmarcAnalyzer.Storage.Postgres;
using Npgsql;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// The store of a process that lives long and opens it again and again (<c>dmarc serve</c> per request, the milter's
/// verdict writer and its approved exceptions): on PostgreSQL one data source, so one pool, for the process's life,
/// its schema brought up to date at the first open; each <see cref="OpenAsync"/> takes a connection from that pool.
/// A SQLite store is its file, opened at each call as a short command opens it (there is no pool to keep).
/// </summary>
/// <remarks>Disposable both ways: a host that is not started is disposed synchronously (the milter when it cannot listen).</remarks>
internal sealed class StoreSource(string database) : IAsyncDisposable, IDisposable
{
    private readonly SemaphoreSlim _opening = new(1, 1);
    private NpgsqlDataSource? _postgres;
    private bool _disposed;

    public string Database => database;

    /// <summary>The store for one use, to dispose after it; on PostgreSQL its connections go back to this source's pool.</summary>
    public async Task<Store> OpenAsync(CancellationToken ct) =>
        StoreLocation.IsPostgres(database) ? await Store.OnAsync(await PostgresAsync(ct), ct) : await Store.OpenAsync(database, ct);

    /// <summary>The data source, made and migrated once; a failed first open (the server down) is tried again at the next.</summary>
    private async Task<NpgsqlDataSource> PostgresAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _postgres) is { } ready)
            return ready;
        await _opening.WaitAsync(ct);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_postgres is null)
                Volatile.Write(ref _postgres, await PgDatabase.OpenAsync(database, ct));
            return _postgres;
        }
        finally
        {
            _opening.Release();
        }
    }

    public void Dispose()
    {
        _opening.Wait();
        try
        {
            _disposed = true;
            _postgres?.Dispose();
        }
        finally
        {
            _opening.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _opening.WaitAsync(CancellationToken.None);
        try
        {
            _disposed = true;
            if (_postgres is not null)
                await _postgres.DisposeAsync();
        }
        finally
        {
            _opening.Release();
        }
    }
}
