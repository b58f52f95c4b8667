namespace DmarcAnalyzer.Tests;

/// <summary>
/// The shared real-world corpus, read in place (never copied into the repo). Tests that need it call
/// <see cref="Require"/>: it skips with a reason when the corpus is absent, and fails instead when
/// <c>DMARC_REQUIRE_CORPUS=1</c> (as CI sets it).
/// </summary>
internal static class Corpus
{
    /// <summary>The repository root: the folder that holds DmarcAnalyzer.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    // Declared after RepoRoot: static initialisers run in order.
    public static string Root { get; } = Path.GetFullPath(
        Environment.GetEnvironmentVariable("DMARC_CORPUS") ?? Path.Combine(RepoRoot, "..", "shared", "corpus"));

    public static string Require(params string[] relative)
    {
        var path = Path.Combine([Root, .. relative]);
        if (Directory.Exists(path) || File.Exists(path))
            return path;
        var why = $"corpus not found at {path} (set DMARC_CORPUS)";
        if (Environment.GetEnvironmentVariable("DMARC_REQUIRE_CORPUS") == "1")
            Assert.Fail(why + "; DMARC_REQUIRE_CORPUS=1");
        Assert.Skip(why);
        return path;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DmarcAnalyzer.sln")))
                return dir.FullName;
        throw new InvalidOperationException("DmarcAnalyzer.sln not found above " + AppContext.BaseDirectory);
    }
}
