namespace DmarcAnalyzer.Tests.Cli;

/// <summary>The README's main job: ingest the samples and write the report, in one command.</summary>
public class RunCommandTests
{
    [Fact]
    public async Task IngestsTheSamplesAndWritesTheReport()
    {
        using var folder = new TempFolder();
        var result = await DmarcProcess.RunAsync(folder.Path, "run", Path.Combine(Corpus.RepoRoot, "samples", "rua"), "--no-dns");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Matches(@"^reports: 84 new, 0 duplicate, 0 failed; records: \d+$", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("example.com: ") && l.EndsWith("nearly ready"));
        Assert.Contains(lines, l => l.StartsWith("example.org: ") && l.EndsWith(", ready"));
        Assert.Equal(Path.Combine(folder.Path, "reports", "index.html"), lines[^1]);
        Assert.True(File.Exists(lines[^1]));
        Assert.True(File.Exists(Path.Combine(folder.Path, "reports", "example.com-volume.svg")));
    }
}
