using System.Data.Common;
using DmarcAnalyzer.Storage.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// An open store: SQLite (a file, the default) or PostgreSQL (the store several hosts share), chosen by what
/// <c>--db</c> names (<see cref="StoreLocation"/>). Other rooms reach it through the interface of their use
/// (<see cref="IRecordQueries"/>, <see cref="IVerdictQueries"/>, <see cref="IFailureQueries"/>, <see cref="IAlertQueries"/>,
/// <see cref="IIngestWriter"/> ...), never through its connection. Queries whose SQL both dialects read alike run on the
/// store's one connection; the others have a class per backend.
/// </summary>
internal sealed class Store : IAsyncDisposable
{
    private readonly DbConnection _connection;
    private readonly NpgsqlDataSource? _postgres;
    private readonly ITlsReportQueries? _tlsReports;
    private readonly IFailureReportQueries? _failureReports;
    private readonly IAlertQueries? _alerts;
    private readonly UserQueries? _users;
    private readonly SourceQueries? _sources;
    private readonly SearchQueries? _search;
    private readonly ReportDetailQueries? _reportDetails;

    private Store(SqliteConnection connection)
    {
        _connection = connection;
        Records = new SqliteRecordQueries(connection);
        Verdicts = new SqliteVerdictQueries(connection);
        Export = new ExportQueries(connection);
        _tlsReports = new TlsReportQueries(connection);
        _failureReports = new FailureReportQueries(connection);
        _alerts = new StoreAlertQueries(connection);
        _users = new UserQueries(connection);
        _sources = new SourceQueries(connection);
        _search = new SearchQueries(connection);
        _reportDetails = new ReportDetailQueries(connection);
        (Failures, Audit, ArchiveExceptions, Outbox, OutgoingReports) = Shared(connection);
    }

    private Store(NpgsqlDataSource source, NpgsqlConnection connection)
    {
        _connection = connection;
        _postgres = source;
        Records = new PgRecordQueries(source);
        Verdicts = new PgVerdictQueries(source);
        Export = new PgExportQueries(source);
        _tlsReports = new TlsReportQueries(connection);
        _failureReports = new FailureReportQueries(connection);
        _alerts = new StoreAlertQueries(connection);
        _users = new UserQueries(connection);
        _sources = new SourceQueries(connection);
        _search = new SearchQueries(connection);
        _reportDetails = new ReportDetailQueries(connection);
        (Failures, Audit, ArchiveExceptions, Outbox, OutgoingReports) = Shared(connection);
    }

    private static (IFailureQueries, AuditQueries, ArchiveExceptionQueries, IOutboxQueries, IOutgoingReportQueries) Shared(DbConnection connection) =>
        (new FailureQueries(connection), new AuditQueries(connection), new ArchiveExceptionQueries(connection), new OutboxQueries(connection),
            new OutgoingReportQueries(connection));

    /// <summary>Opens (creating it when missing) the store <paramref name="database"/> names, its schema brought up to date.</summary>
    public static async Task<Store> OpenAsync(string database, CancellationToken ct)
    {
        if (!StoreLocation.IsPostgres(database))
            return new Store(await Database.OpenAsync(database, ct));
        var source = await PgDatabase.OpenAsync(database, ct);
        try
        {
            return new Store(source, await source.OpenConnectionAsync(ct));
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }
    }

    /// <summary>A writer of its own for ingest, on the store <paramref name="database"/> names.</summary>
    public static async Task<IIngestWriter> OpenWriterAsync(string database, CancellationToken ct) =>
        StoreLocation.IsPostgres(database)
            ? new PgIngestWriter(await PgDatabase.OpenAsync(database, ct), ownsSource: true)
            : await IngestWriter.OpenAsync(database, ct);

    /// <summary>The store's own connection, for Storage's whole-store work (<see cref="StoreCopy"/>, <see cref="Retention"/>); other rooms use the interfaces.</summary>
    internal DbConnection Connection => _connection;

    /// <summary>Which kind of store this is.</summary>
    public StoreKind Kind => _postgres is null ? StoreKind.Sqlite : StoreKind.Postgres;

    public IRecordQueries Records { get; }

    public IVerdictQueries Verdicts { get; }

    public IFailureQueries Failures { get; }

    public ITlsReportQueries TlsReports => _tlsReports ?? throw NotYet("TLS reports");

    public IFailureReportQueries FailureReports => _failureReports ?? throw NotYet("failure reports");

    public IAlertQueries Alerts => _alerts ?? throw NotYet("alerts");

    /// <summary>The dashboard's users and failed sign-ins.</summary>
    public UserQueries Users => _users ?? throw NotYet("the dashboard's users");

    public AuditQueries Audit { get; }

    /// <summary>Encrypted-archive exceptions requested and decided on the dashboard; the milter reads the approved ones.</summary>
    public ArchiveExceptionQueries ArchiveExceptions { get; }

    /// <summary>The dashboard's source, search and report pages.</summary>
    public SourceQueries Sources => _sources ?? throw NotYet("the dashboard's source page");

    public SearchQueries Search => _search ?? throw NotYet("the dashboard's search");

    public ReportDetailQueries ReportDetails => _reportDetails ?? throw NotYet("the dashboard's report page");

    /// <summary>The outbox spool.</summary>
    public IOutboxQueries Outbox { get; }

    /// <summary>Our own aggregate reports: the milter's facts and the ledger of destinations handled.</summary>
    public IOutgoingReportQueries OutgoingReports { get; }

    public IExportQueries Export { get; }

    private static StoreNotSupportedException NotYet(string what) =>
        new($"{what}: not available on a PostgreSQL store in this version; use a SQLite store for it");

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        if (_postgres is not null)
            await _postgres.DisposeAsync();
    }
}

internal enum StoreKind { Sqlite, Postgres }

/// <summary>What the store in use cannot do (yet): said to the user, not a crash.</summary>
internal sealed class StoreNotSupportedException(string message) : Exception(message);
