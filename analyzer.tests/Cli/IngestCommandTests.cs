using System.Diagnostics;
using DmarcAnalyzer.Tests.Ingest;
using DmarcAnalyzer.Tests.Reports;

namespace DmarcAnalyzer.Tests.Cli;

/// <summary>The contract of design.md that scripts rely on: the summary line, the exit codes, exactly-once.</summary>
public class IngestCommandTests
{
    private static string Samples => Path.Combine(Corpus.RepoRoot, "samples", "rua");

    [Fact]
    public async Task IngestsTheSamplesOnceAndAgainAsDuplicates()
    {
        using var folder = new TempFolder();
        var first = await DmarcProcess.RunAsync(folder.Path, "ingest", Samples);
        Assert.Equal(0, first.ExitCode);
        Assert.Matches(@"^reports: \d+ new, 0 duplicate, 0 failed; records: \d+$", first.LastLine);
        Assert.True(File.Exists(folder.File("dmarc.db")), "the default database is dmarc.db in the working folder");

        var again = await DmarcProcess.RunAsync(folder.Path, "ingest", Samples);
        var newCount = first.LastLine.Split(' ')[1];
        Assert.Equal($"reports: 0 new, {newCount} duplicate, 0 failed; records: 0", again.LastLine);
        Assert.Equal(0, again.ExitCode);
    }

    [Fact]
    public async Task ExitsThreeWhenSomeInputsFailAndStillIngestsTheRest()
    {
        using var folder = new TempFolder();
        await File.WriteAllTextAsync(folder.File("good.xml"), ReportXml.Report(records: 2), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(folder.File("bad.xml"), "<feedback>", TestContext.Current.CancellationToken);
        var result = await DmarcProcess.RunAsync(folder.Path, "ingest", folder.Path, "--db", folder.File("x.db"));
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("reports: 1 new, 0 duplicate, 1 failed; records: 2", result.LastLine);
        Assert.Contains("bad.xml", result.Stderr);

        var failures = await DmarcProcess.RunAsync(folder.Path, "failures", "--db", folder.File("x.db"));
        Assert.Equal("1 failure", failures.LastLine);
        var raw = await DmarcProcess.RunAsync(folder.Path, "failures", "show", "1", "--raw", "--db", folder.File("x.db"));
        Assert.Equal("<feedback>", raw.Stdout);
    }

    [Fact]
    public async Task AFileThatCannotBeReadIsAFailureNotTheEndOfTheRun()
    {
        using var folder = new TempFolder();
        await File.WriteAllTextAsync(folder.File("good.xml"), ReportXml.Report(records: 1), TestContext.Current.CancellationToken);
        File.CreateSymbolicLink(folder.File("gone.xml"), folder.File("no-such-target.xml"));
        var result = await DmarcProcess.RunAsync(folder.Path, "ingest", folder.Path, "--db", folder.File("x.db"));
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("reports: 1 new, 0 duplicate, 1 failed; records: 1", result.LastLine);
        var failures = await DmarcProcess.RunAsync(folder.Path, "failures", "show", "1", "--db", folder.File("x.db"));
        Assert.Contains("reason: the file cannot be read", failures.Stdout);
    }

    /// <summary>Issue 14: a report whose declared encoding .NET refuses stopped ingest and run with a stack trace.</summary>
    [Theory]
    [InlineData("ingest")]
    [InlineData("run")]
    public async Task AReportInAnEncodingThatCannotBeUsedIsAFailureAndTheRestIsStored(string command)
    {
        using var folder = new TempFolder();
        var inputs = Directory.CreateDirectory(folder.File("in")).FullName;
        var utf7 = ReportXml.Report(reportId: "utf7").Replace("encoding=\"UTF-8\"", "encoding=\"UTF-7\"");
        await File.WriteAllTextAsync(Path.Combine(inputs, "a-first.xml"), ReportXml.Report(reportId: "first", records: 2), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(inputs, "b-utf7.xml"), utf7, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(inputs, "c-utf7.zip"), BadInputTests.Zip(("r.xml", ReportXml.Bytes(utf7))), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(inputs, "d-last.xml"), ReportXml.Report(reportId: "last", records: 3), TestContext.Current.CancellationToken);
        var result = await DmarcProcess.RunAsync(folder.Path, command == "run" ? [command, inputs, "--no-dns"] : [command, inputs]);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("reports: 2 new, 0 duplicate, 2 failed; records: 5", result.Stdout.Split('\n').Select(l => l.TrimEnd('\r')));
        Assert.Contains("its declared encoding 'UTF-7' is not supported", result.Stderr);
        Assert.DoesNotContain("Exception", result.Stderr);
    }

    /// <summary>Issue 14: nothing a folder holds ends the walk or hangs it; each such entry is a failure with a reason.</summary>
    [Fact]
    public async Task PipesLinkLoopsAndDanglingLinksInAFolderAreFailuresNotTheEndOfTheRun()
    {
        using var folder = new TempFolder();
        var inputs = Directory.CreateDirectory(folder.File("in")).FullName;
        Directory.CreateDirectory(Path.Combine(inputs, "sub", "deeper"));
        Directory.CreateDirectory(Path.Combine(inputs, "folder.xml"));
        await File.WriteAllTextAsync(Path.Combine(inputs, "sub", "good.xml"), ReportXml.Report(records: 2), TestContext.Current.CancellationToken);
        File.CreateSymbolicLink(Path.Combine(inputs, "sub", "deeper", "up"), "..");
        File.CreateSymbolicLink(Path.Combine(inputs, "sub", "self"), "self");
        File.CreateSymbolicLink(Path.Combine(inputs, "sub", "dangling.xml"), "/no/such/report.xml");
        using (var mkfifo = Process.Start("mkfifo", Path.Combine(inputs, "sub", "pipe.xml")))
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);

        var result = await DmarcProcess.RunAsync(folder.Path, "ingest", inputs, Path.Combine(inputs, "sub", "pipe.xml"), "--db", folder.File("x.db"));
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("reports: 1 new, 0 duplicate, 4 failed; records: 2", result.LastLine);
        Assert.Contains("dangling.xml: the file cannot be read: it does not exist", result.Stderr);
        Assert.Contains("pipe.xml: this is a named pipe, not a file: it is not read", result.Stderr);
        Assert.Contains("self: the file cannot be read: an input/output error", result.Stderr);
    }

    [Theory]
    [InlineData("ingest")]
    [InlineData("ingest", "/no/such/path")]
    [InlineData("ingest", ".", "--no-such-option")]
    [InlineData("export", "--format", "xml")]
    public async Task ExitsTwoOnBadUsage(params string[] args)
    {
        using var folder = new TempFolder();
        var result = await DmarcProcess.RunAsync(folder.Path, args);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("dmarc: ", result.Stderr);
    }

    [Fact]
    public async Task ExitsOneOnAFatalError()
    {
        using var folder = new TempFolder();
        await File.WriteAllTextAsync(folder.File("not-a-database"), new string('x', 4096), TestContext.Current.CancellationToken);
        var result = await DmarcProcess.RunAsync(folder.Path, "ingest", Samples, "--db", folder.File("not-a-database"));
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task KilledAtAnyMomentThenRunAgainEqualsACleanRun()
    {
        using var folder = new TempFolder();
        var clean = folder.File("clean.db");
        Assert.Equal(0, (await DmarcProcess.RunAsync(folder.Path, "ingest", Samples, "--db", clean)).ExitCode);

        var crashed = folder.File("crashed.db");
        foreach (var delay in new[] { 150, 300, 450 })
        {
            using var process = Process.Start(DmarcProcess.StartInfo(folder.Path, "ingest", Samples, "--db", crashed))!;
            await Task.Delay(delay, TestContext.Current.CancellationToken);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        Assert.Equal(0, (await DmarcProcess.RunAsync(folder.Path, "ingest", Samples, "--db", crashed)).ExitCode);

        var export = new[] { "export", "--format", "csv" };
        var expected = await DmarcProcess.RunAsync(folder.Path, [.. export, "--db", clean]);
        var actual = await DmarcProcess.RunAsync(folder.Path, [.. export, "--db", crashed]);
        Assert.Equal(expected.Stdout, actual.Stdout);
    }

    [Fact]
    public async Task ExportsCsvWithOneRowPerRecord()
    {
        using var folder = new TempFolder();
        await File.WriteAllTextAsync(folder.File("r.xml"), ReportXml.Report(records: 3, org: "=HYPERLINK(\"x\")"), TestContext.Current.CancellationToken);
        await DmarcProcess.RunAsync(folder.Path, "ingest", folder.File("r.xml"));
        var csv = await DmarcProcess.RunAsync(folder.Path, "export", "--format", "csv");
        var lines = csv.Stdout.TrimEnd().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("org_name,report_id,begin,end,domain,", lines[0]);
        Assert.Contains("2023-11-14T22:13:20Z", lines[1]);
        Assert.Contains("example.com:s1:pass", lines[1]);
        // A formula from a stranger's report must not run in the administrator's spreadsheet.
        Assert.DoesNotContain(",=HYPERLINK", lines[1]);

        var json = await DmarcProcess.RunAsync(folder.Path, "export", "--format", "json", "--what", "reports");
        using var document = System.Text.Json.JsonDocument.Parse(json.Stdout);
        Assert.Equal(3, document.RootElement[0].GetProperty("records").GetInt32());
    }
}
