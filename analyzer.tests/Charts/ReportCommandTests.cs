using System.Diagnostics;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Tests.Analysis;
using DmarcAnalyzer.Tests.Cli;

namespace DmarcAnalyzer.Tests.Charts;

public sealed class ReportCommandTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("dmarc-report-cli-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public async Task WritesTheReportForAnIsoWeek()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", new DateOnly(2026, 2, 16), [new("192.0.2.1", 10)]);

        var exit = await CommandLine.RunAsync(["report", "--db", store.DatabasePath, "--week", "2026-W08", "--out", _out, "--no-dns"]);

        Assert.Equal(ExitCodes.Ok, exit);
        var html = await File.ReadAllTextAsync(Path.Combine(_out, "index.html"), TestContext.Current.CancellationToken);
        Assert.Contains("example.com", html);
        Assert.Contains("2026-02-16 to 2026-02-22", html);
        Assert.True(File.Exists(Path.Combine(_out, "example.com-rates.svg")));
    }

    [Fact]
    public async Task WithTimingsOnEachStageIsPrintedOnStandardErrorAndTheOutputStaysAsItWas()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", new DateOnly(2026, 2, 16), [new("192.0.2.1", 10)]);
        var plain = await DmarcProcess.RunAsync(_out, "report", "--db", store.DatabasePath, "--week", "2026-W08", "--out", _out, "--no-dns");
        var info = DmarcProcess.StartInfo(_out, "report", "--db", store.DatabasePath, "--week", "2026-W08", "--out", _out, "--no-dns");
        info.Environment["DMARC_TIMINGS"] = "true";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ExitCodes.Ok, process.ExitCode);
        Assert.Equal(plain.Stdout, await stdout);
        Assert.DoesNotContain("timing:", plain.Stderr);
        var stages = Regex.Matches(await stderr, @"^timing: (.+?) [0-9.]+ ms", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(
            ["start-up", "open store", "reports", "records read and summed", "groups", "result counts", "sources", "PTR names", "networks",
             "signing domains", "identities", "classes", "domains", "inbound, TLS and failure reports", "charts", "CSV", "index.html"],
            stages);
    }

    [Theory]
    [InlineData("--week", "2026-W99")]
    [InlineData("--from", "16/02/2026")]
    [InlineData("--from", "2026-02-20", "--to", "2026-02-10")]
    [InlineData("--week", "2026-W08", "--from", "2026-02-16")]
    public async Task BadPeriodsAreUsageErrors(params string[] options)
    {
        await using var store = await TestStore.CreateAsync();
        var exit = await CommandLine.RunAsync(["report", "--db", store.DatabasePath, "--out", _out, "--no-dns", .. options]);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.False(File.Exists(Path.Combine(_out, "index.html")));
    }
}
