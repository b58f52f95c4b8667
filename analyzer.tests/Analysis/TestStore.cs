using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>One record of a synthetic report; the evaluated results default to a DMARC pass.</summary>
internal sealed record TestRecord(
    string Ip,
    long Count,
    string DkimEval = "pass",
    string SpfEval = "pass",
    string Disposition = "none",
    string? HeaderFrom = null,
    string[]? Reasons = null,
    (string Domain, string Result)[]? Dkim = null,
    (string Domain, string Result)[]? Spf = null);

/// <summary>A store in a temporary folder, filled through the store's writer without XML.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    private readonly string _folder;
    private int _reports;

    private TestStore(string folder, SqliteConnection db)
    {
        _folder = folder;
        Db = db;
    }

    public SqliteConnection Db { get; }

    public IRecordQueries Records => new SqliteRecordQueries(Db);

    public string DatabasePath => Path.Combine(_folder, "dmarc.db");

    public static async Task<TestStore> CreateAsync()
    {
        var folder = Directory.CreateTempSubdirectory("dmarc-analysis-").FullName;
        var db = await Database.OpenAsync(Path.Combine(folder, "dmarc.db"), CancellationToken.None);
        return new TestStore(folder, db);
    }

    /// <summary>
    /// Adds a report whose period is the UTC day <paramref name="day"/> (to the end of <paramref name="lastDay"/> when
    /// given), stored the way ingest stores one.
    /// </summary>
    public async Task AddReportAsync(string domain, DateOnly day, IEnumerable<TestRecord> records,
        string org = "receiver.example", string? p = "none", string? sp = null, string? np = null, DateOnly? lastDay = null)
    {
        var begin = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var end = new DateTimeOffset((lastDay ?? day).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddSeconds(86399);
        var header = new ReportHeader(
            new ReportMetadata(org, null, null, $"r{++_reports}", begin, end, [], null),
            new PolicyPublished(domain, null, null, p, sp, np, null, null, null, null, null), null, null);
        var stored = records.Select(r => new ReportRecord(r.Ip, r.Count, r.Disposition, r.DkimEval, r.SpfEval,
            [.. (r.Reasons ?? []).Select(t => t.Split(':', 2) is [var type, var comment] ? new PolicyOverride(type, comment) : new PolicyOverride(t, null))], r.HeaderFrom ?? domain, null, null,
            [.. (r.Dkim ?? []).Select(d => new DkimAuthResult(d.Domain, null, d.Result, null))],
            [.. (r.Spf ?? []).Select(d => new SpfAuthResult(d.Domain, null, d.Result, null))]));
        await using var writer = new IngestWriter(Db);
        await writer.AddAsync(header, stored, ReadOnlyMemory<byte>.Empty, "test", ReportAuthentication.NotMail, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Db.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
