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

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
