namespace DmarcAnalyzer.Tests.Cli;

/// <summary>Errors that say what happened, with the exit code of the contract and the subcommand's help to read next.</summary>
public sealed class ErrorMessageTests
{
    private static readonly string SampleReports = Path.Combine(Corpus.RepoRoot, "samples", "rua");

    [Fact]
    public async Task AnUnknownOptionAfterPathsIsBadUsageNotAMissingFile()
    {
        using var folder = new TempFolder();
        var result = await DmarcProcess.RunAsync(folder.Path, "ingest", SampleReports, "--bogus");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("dmarc: unknown option: --bogus", result.Stderr);
        Assert.DoesNotContain("no such file", result.Stderr);
        Assert.Contains("Try 'dmarc ingest --help'.", result.Stderr);
        Assert.False(File.Exists(folder.File("dmarc.db")));
    }

    [Fact]
    public async Task ANonNumericIdNamesNoDotNetType()
    {
        using var folder = new TempFolder();
        var result = await DmarcProcess.RunAsync(folder.Path, "failures", "show", "abc");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'abc' is not a whole number", result.Stderr);
        Assert.DoesNotContain("System.", result.Stderr);
        Assert.Contains("Try 'dmarc failures show --help'.", result.Stderr);
    }

    [Fact]
    public async Task AFolderGivenAsTheDatabaseIsSaidToBeAFolder()
    {
        using var folder = new TempFolder();
        var result = await DmarcProcess.RunAsync(folder.Path, "ingest", SampleReports, "--db", folder.Path);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"the database {folder.Path} is a folder", result.Stderr);
    }

    [Fact]
    public async Task AFileThatIsNotAMessageIsBadUsageForVerifyMessage()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("report.gz"), [0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03]);
        var result = await DmarcProcess.RunAsync(folder.Path, "verify", "message", folder.File("report.gz"), "--offline");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is not a message", result.Stderr);
        Assert.Contains("Try 'dmarc verify message --help'.", result.Stderr);
    }

    [Fact]
    public async Task ExceptionsListTakesTheDatabaseOptionAsEveryCommandDoes()
    {
        using var folder = new TempFolder();
        var result = await DmarcProcess.RunAsync(folder.Path, "exceptions", "list", "--db", folder.File("dmarc.db"),
            "--config", Path.Combine(Corpus.RepoRoot, "samples", "dmarc.json"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("payroll@partner.example", result.Stdout);
        Assert.Contains("exceptions: ", result.Stdout);
    }

    [Fact]
    public async Task OneFailureIsCountedInTheSingular()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("broken.xml"), "<feedback><report_metadata>");
        var ingest = await DmarcProcess.RunAsync(folder.Path, "ingest", folder.File("broken.xml"));
        var list = await DmarcProcess.RunAsync(folder.Path, "failures");

        Assert.Equal(3, ingest.ExitCode);
        Assert.Equal("1 failure", list.LastLine);
    }

    [Fact]
    public async Task PollSaysEveryMissingOptionAtOnce()
    {
        using var folder = new TempFolder();
        var info = DmarcProcess.StartInfo(folder.Path, "poll", "--once");
        info.Environment.Remove("DMARC_IMAP_PASSWORD");
        var result = await RunAsync(info);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("missing the IMAP server (--host or Imap:Host), the IMAP user (--user or Imap:User), the password (--password-file or $DMARC_IMAP_PASSWORD)",
            result.Stderr);
    }

    [Fact]
    public async Task PollFailsAtOnceWhenNothingListensOnThePort()
    {
        using var folder = new TempFolder();
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var info = DmarcProcess.StartInfo(folder.Path, "poll", "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tls", "none", "--user", "reports", "--once");
        info.Environment["DMARC_IMAP_PASSWORD"] = "secret";
        var result = await RunAsync(info);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("refused the connection", result.Stderr);
        Assert.DoesNotContain("trying again", result.Stderr);
    }

    private static async Task<DmarcProcess.Result> RunAsync(System.Diagnostics.ProcessStartInfo info)
    {
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return new DmarcProcess.Result(process.ExitCode, await stdout, await stderr);
    }
}
