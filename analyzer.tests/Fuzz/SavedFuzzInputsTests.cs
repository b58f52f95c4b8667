using DmarcAnalyzer.Fuzz;

namespace DmarcAnalyzer.Tests.Fuzz;

/// <summary>
/// Replays what fuzzing saved (fuzz/crashes/&lt;target&gt;/*) and our synthetic seeds (fuzz/seeds/&lt;target&gt;/*) through
/// the same target code the fuzzer ran (fuzz/FuzzTargets.cs): each must finish with nothing but the parser's own
/// error type and within the allocation limit. This is how .ci/run replays the findings; it does not fuzz.
/// </summary>
public sealed class SavedFuzzInputsTests
{
    public static TheoryData<string, string> Crashes() => Inputs("crashes");

    public static TheoryData<string, string> Seeds() => Inputs("seeds");

    [Theory(SkipTestWithoutData = true)]
    [MemberData(nameof(Crashes))]
    public async Task ASavedFindingNoLongerFails(string target, string file) =>
        await FuzzTargets.RunAsync(target, await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task ASeedRunsCleanThroughItsTarget(string target, string file) =>
        await FuzzTargets.RunAsync(target, await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);

    [Fact]
    public void EveryFolderOfSavedInputsNamesATarget()
    {
        foreach (var kind in new[] { "crashes", "seeds" })
        {
            var root = Path.Combine(Corpus.RepoRoot, "fuzz", kind);
            if (!Directory.Exists(root))
                continue;
            foreach (var folder in Directory.GetDirectories(root))
                Assert.Contains(Path.GetFileName(folder), FuzzTargets.Names);
        }
    }

    private static TheoryData<string, string> Inputs(string kind)
    {
        var data = new TheoryData<string, string>();
        var root = Path.Combine(Corpus.RepoRoot, "fuzz", kind);
        if (!Directory.Exists(root))
            return data;
        foreach (var folder in Directory.GetDirectories(root).Order())
        {
            foreach (var file in Directory.GetFiles(folder).Order())
                data.Add(Path.GetFileName(folder), file);
        }
        return data;
    }
}
