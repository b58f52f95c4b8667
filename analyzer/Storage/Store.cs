using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// An open store. Other rooms reach it through the interface of their use (<see cref="IRecordQueries"/>,
/// <see cref="IVerdictQueries"/>, <see cref="IFailureQueries"/>, <see cref="IAlertQueries"/>, <see cref="IIngestWriter"/>), never through its
/// connection: SQLite is the implementation today, PostgreSQL (issue 20) is the second.
/// </summary>
internal sealed class Store : IAsyncDisposable
{
    private readonly SqliteConnection _connection;

    private Store(SqliteConnection connection)
    {
        _connection = connection;
        Records = new SqliteRecordQueries(connection);
        Verdicts = new SqliteVerdictQueries(connection);
        Failures = new FailureQueries(connection);
        TlsReports = new TlsReportQueries(connection);
        FailureReports = new FailureReportQueries(connection);
        Alerts = new SqliteAlertQueries(connection);
        Users = new UserQueries(connection);
        Audit = new AuditQueries(connection);
        ArchiveExceptions = new ArchiveExceptionQueries(connection);
        Sources = new SourceQueries(connection);
        Search = new SearchQueries(connection);
        ReportDetails = new ReportDetailQueries(connection);
        PublishedRecords = new PublishedRecordQueries(connection);
        KnownSenders = new KnownSenderQueries(connection);
        OpenAlerts = new OpenAlertQueries(connection);
        UserAdmin = new UserAdminQueries(connection);
    }

    /// <summary>Opens (creating it when missing) the store at <paramref name="path"/>, its schema brought up to date.</summary>
    public static async Task<Store> OpenAsync(string path, CancellationToken ct) => new(await Database.OpenAsync(path, ct));

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

    /// <summary>Each owned domain's DMARC and SPF record as last seen, for the record-changed alert.</summary>
    public IPublishedRecordQueries PublishedRecords { get; }

    /// <summary>Known senders marked on the dashboard; the analysis reads them beside the configuration's.</summary>
    public KnownSenderQueries KnownSenders { get; }

    /// <summary>The alerts that have fired and not cleared, for the dashboard's overview.</summary>
    public OpenAlertQueries OpenAlerts { get; }

    /// <summary>User management on the dashboard.</summary>
    public UserAdminQueries UserAdmin { get; }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
