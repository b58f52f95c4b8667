using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Cli;

namespace DmarcAnalyzer.Tests.Filter;

public sealed class ExceptionsCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("exceptions-cli").FullName;

    [Fact]
    public async Task ListsEachExceptionWithItsState()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "dmarc.json"), """
            { "Filter": { "Exceptions": [
                { "Sender": "payroll@partner.example", "Recipient": "hr@example.org", "ApprovedBy": "ciso", "Reason": "payroll", "Expires": "2099-12-31" },
                { "Sender": "old.example", "ApprovedBy": "it", "Reason": "project over", "Expires": "2020-01-31" } ] } }
            """, TestContext.Current.CancellationToken);
        var result = await DmarcProcess.RunAsync(_folder, "exceptions", "list");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("old.example", result.Stdout);
        Assert.Contains("2020-01-31", result.Stdout);
        Assert.Contains("expired", result.Stdout);
        Assert.Contains("active", result.Stdout);
        Assert.Equal("exceptions: 1 active, 1 expired", result.LastLine);
    }

    [Fact]
    public async Task ListsTheExceptionsApprovedOnTheDashboardBesideTheConfigurations()
    {
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllTextAsync(Path.Combine(_folder, "dmarc.json"), """
            { "Filter": { "Exceptions": [ { "Sender": "payroll@partner.example", "ApprovedBy": "ciso", "Reason": "payroll", "Expires": "2099-12-31" } ] } }
            """, ct);
        await using (var store = await Store.OpenAsync(Path.Combine(_folder, "dmarc.db"), ct))
        {
            var approved = await store.ArchiveExceptions.RequestAsync("invoices.example", null, "encrypted invoices", "victor", DateTimeOffset.UtcNow, ct);
            await store.ArchiveExceptions.DecideAsync(approved, ExceptionState.Approved, new DateOnly(2099, 1, 31), "alice", DateTimeOffset.UtcNow, ct);
            var rejected = await store.ArchiveExceptions.RequestAsync("rejected.example", null, "no", "victor", DateTimeOffset.UtcNow, ct);
            await store.ArchiveExceptions.DecideAsync(rejected, ExceptionState.Rejected, null, "alice", DateTimeOffset.UtcNow, ct);
            await store.ArchiveExceptions.RequestAsync("open.example", null, "waiting", "victor", DateTimeOffset.UtcNow, ct);
        }
        var result = await DmarcProcess.RunAsync(_folder, "exceptions", "list");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("invoices.example", result.Stdout);
        Assert.Contains("2099-01-31", result.Stdout);
        Assert.Contains("1 in the configuration, 1 approved on the dashboard (dmarc serve)", result.Stdout);
        Assert.DoesNotContain("rejected.example", result.Stdout);
        Assert.DoesNotContain("open.example", result.Stdout);
        Assert.Equal("exceptions: 2 active, 0 expired", result.LastLine);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
