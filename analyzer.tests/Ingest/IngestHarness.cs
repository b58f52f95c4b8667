using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary>An ingest pipeline over a store in a temp folder, and queries to look into that store.</summary>
internal sealed class IngestHarness : IAsyncDisposable
{
    private readonly TempFolder _folder = new();

    public string DatabasePath => _folder.File("dmarc.db");

    public IngestLimits Limits { get; init; } = IngestLimits.Default;

    public ReportAcceptance Acceptance { get; init; } = ReportAcceptance.Default;

    public async Task<IngestOutcome> IngestAsync(byte[] input, string source = "test")
    {
        await using var pipeline = await IngestPipeline.OpenAsync(DatabasePath, Limits, Acceptance, NullLogger.Instance, TestContext.Current.CancellationToken);
        return await pipeline.IngestAsync(new MemoryStream(input), source, TestContext.Current.CancellationToken);
    }

    public Task<IngestOutcome> IngestFileAsync(string path) => IngestAsync(File.ReadAllBytes(path), path);

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = await Database.OpenAsync(DatabasePath, TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    public async Task<List<string>> StringsAsync(string sql)
    {
        await using var connection = await Database.OpenAsync(DatabasePath, TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var values = new List<string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            values.Add(reader.IsDBNull(0) ? "" : reader.GetValue(0).ToString()!);
        return values;
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }
}
