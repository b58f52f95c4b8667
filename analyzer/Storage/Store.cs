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
/// store's one connection; the hot paths (ingest, the records the report reads, the verdict log) and export have a class
/// per backend.
/// </summary>
internal sealed class Store : IAsyncDisposable
{
    private readonly DbConnection _connection;
    private readonly NpgsqlDataSource? _postgres;
    private readonly bool _ownsSource;

    private Store(SqliteConnection connection)
        : this(connection, null, new SqliteRecordQueries(connection), new SqliteVerdictQueries(connection), new ExportQueries(connection))
    {
    }

    private Store(NpgsqlDataSource source, NpgsqlConnection connection, bool ownsSource)
        : this(connection, source, new PgRecordQueries(source), new PgVerdictQueries(source), new PgExportQueries(source))
    {
        _ownsSource = ownsSource;
    }

    /// <summary>The queries of a backend of their own, then the ones whose SQL both read alike, on the store's connection.</summary>
    private Store(DbConnection connection, NpgsqlDataSource? postgres, IRecordQueries records, IVerdictQueries verdicts, IExportQueries export)
    {
        _connection = connection;
        _postgres = postgres;
        Records = records;
        Verdicts = verdicts;
        Export = export;
        Failures = new FailureQueries(connection);
        TlsReports = new TlsReportQueries(connection);
        FailureReports = new FailureReportQueries(connection);
        Alerts = new StoreAlertQueries(connection);
        Users = new UserQueries(connection);
        Audit = new AuditQueries(connection);
        ArchiveExceptions = new ArchiveExceptionQueries(connection);
        Sources = new SourceQueries(connection);
        Search = new SearchQueries(connection);
        ReportDetails = new ReportDetailQueries(connection);
        Outbox = new OutboxQueries(connection);
        OutgoingReports = new OutgoingReportQueries(connection);
        Digests = new DigestLedger(connection);
        PublishedRecords = new PublishedRecordQueries(connection);
        KnownSenders = new KnownSenderQueries(connection);
        OpenAlerts = new OpenAlertQueries(connection);
        UserAdmin = new UserAdminQueries(connection);
        ReportAuth = new ReportAuthQueries(connection);
    }

    /// <summary>Opens (creating it when missing) the store <paramref name="database"/> names, its schema brought up to date.</summary>
    public static async Task<Store> OpenAsync(string database, CancellationToken ct)
    {
        if (!StoreLocation.IsPostgres(database))
            return new Store(await Database.OpenAsync(database, ct));
        var source = await PgDatabase.OpenAsync(database, ct);
        try
        {
            return new Store(source, await source.OpenConnectionAsync(ct), ownsSource: true);
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }
    }

    /// <summary>A store on a PostgreSQL data source that outlives it (<see cref="StoreSource"/>): disposing the store leaves the pool open.</summary>
    internal static async Task<Store> OnAsync(NpgsqlDataSource source, CancellationToken ct) =>
        new(source, await source.OpenConnectionAsync(ct), ownsSource: false);

    /// <summary>
    /// A writer of its own for ingest, on the store <paramref name="database"/> names. On PostgreSQL its statements are
    /// prepared once on the connection it holds (Npgsql's auto-prepare): a report's statements are the same every time.
    /// </summary>
    public static async Task<IIngestWriter> OpenWriterAsync(string database, CancellationToken ct) =>
        StoreLocation.IsPostgres(database)
            ? new PgIngestWriter(await PgDatabase.OpenAsync(database, ct, settings =>
            {
                settings.MaxAutoPrepare = 16;
                settings.AutoPrepareMinUsages = 2;
            }), ownsSource: true)
            : await IngestWriter.OpenAsync(database, ct);

    /// <summary>The store's own connection, for Storage's whole-store work (<see cref="StoreCopy"/>, <see cref="Retention"/>); other rooms use the interfaces.</summary>
    internal DbConnection Connection => _connection;

    /// <summary>Which kind of store this is.</summary>
    public StoreKind Kind => _postgres is null ? StoreKind.Sqlite : StoreKind.Postgres;

    public IRecordQueries Records { get; }

    public IVerdictQueries Verdicts { get; }

    public IFailureQueries Failures { get; }

    public ITlsReportQueries TlsReports { get; }

    public IFailureReportQueries FailureReports { get; }

    public IAlertQueries Alerts { get; }

    /// <summary>The dashboard's users and failed sign-ins.</summary>
    public UserQueries Users { get; }

    public AuditQueries Audit { get; }

    /// <summary>Encrypted-archive exceptions requested and decided on the dashboard; the milter reads the approved ones.</summary>
    public ArchiveExceptionQueries ArchiveExceptions { get; }

    /// <summary>The dashboard's source, search and report pages.</summary>
    public SourceQueries Sources { get; }

    public SearchQueries Search { get; }

    public ReportDetailQueries ReportDetails { get; }

    /// <summary>The outbox spool.</summary>
    public IOutboxQueries Outbox { get; }

    /// <summary>Our own aggregate reports: the milter's facts and the ledger of destinations handled.</summary>
    public IOutgoingReportQueries OutgoingReports { get; }

    /// <summary>The weekly digests sent, per week, domain and recipient.</summary>
    public DigestLedger Digests { get; }

    public IExportQueries Export { get; }

    /// <summary>Each owned domain's DMARC and SPF record as last seen, for the record-changed alert.</summary>
    public IPublishedRecordQueries PublishedRecords { get; }

    /// <summary>Known senders marked on the dashboard; the analysis reads them beside the configuration's.</summary>
    public KnownSenderQueries KnownSenders { get; }

    /// <summary>The alerts that have fired and not cleared, for the dashboard's overview.</summary>
    public OpenAlertQueries OpenAlerts { get; }

    /// <summary>User management on the dashboard.</summary>
    public UserAdminQueries UserAdmin { get; }

    /// <summary>Which reporters' reports came in mail DKIM-signed by their own domain (red-team F9).</summary>
    public ReportAuthQueries ReportAuth { get; }

    /// <summary>Numbers that move whenever what the report analysis reads changes (<see cref="StoreStamp"/>).</summary>
    public Task<StoreStamp> StampAsync(CancellationToken ct) => StoreStamp.ReadAsync(_connection, ct);

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        if (_ownsSource)
            await _postgres!.DisposeAsync();
    }
}

internal enum StoreKind { Sqlite, Postgres }
