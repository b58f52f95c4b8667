namespace DmarcAnalyzer.Tests.Architecture;

/// <summary>
/// The rooms of analyzer/ import one way (design.md, Layout), and docs/architecture.md shows the arrows the code has.
/// After a change of arrows, regenerate the document: <c>DMARC_WRITE_ARCHITECTURE=1 dotnet test DmarcAnalyzer.sln -c
/// Release --no-build --filter "FullyQualifiedName~Architecture"</c>.
/// </summary>
public sealed class RoomGraphTests
{
    private const string Begin = "<!-- generated: the rooms and their arrows, from the using lines (analyzer.tests/Architecture) -->";
    private const string End = "<!-- end of the generated part -->";

    private static readonly RoomGraph Code = RoomGraph.FromFolder(Path.Combine(Corpus.RepoRoot, "analyzer"));

    [Fact]
    public void NoTwoRoomsImportEachOther()
    {
        var cycles = Code.Cycles();
        Assert.True(cycles.Count == 0, "rooms that import each other: " + string.Join("; ", cycles.Select(Describe)));
    }

    [Fact]
    public void NothingButTheEntryPointImportsCli()
    {
        var importers = Code.Importers("Cli").Where(i => i.Room != RoomGraph.EntryPoint).ToList();
        Assert.True(importers.Count == 0, "Cli is reached from " +
            string.Join("; ", importers.Select(i => $"{i.Room} ({string.Join(", ", i.Files)})")));
    }

    [Fact]
    public void ArchitectureDocumentShowsTheArrowsOfTheCode()
    {
        var path = Path.Combine(Corpus.RepoRoot, "docs", "architecture.md");
        var document = File.ReadAllText(path);
        var begin = document.IndexOf(Begin, StringComparison.Ordinal);
        var end = document.IndexOf(End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"docs/architecture.md lacks the markers {Begin} and {End}");
        var expected = Code.Render();
        var start = begin + Begin.Length + 1;
        if (document[start..end] == expected)
            return;
        if (Environment.GetEnvironmentVariable("DMARC_WRITE_ARCHITECTURE") == "1")
        {
            File.WriteAllText(path, document[..start] + expected + document[end..]);
            return;
        }
        Assert.Fail("docs/architecture.md differs from the code; regenerate it with DMARC_WRITE_ARCHITECTURE=1 " +
                    "(see RoomGraphTests) or paste between the markers:\n" + expected);
    }

    [Fact]
    public void FindsUsingsQualifiedNamesAndCyclesButNotComments()
    {
        var graph = RoomGraph.FromSources([
            ("Program.cs", "using DmarcAnalyzer.Cli;"),
            ("Cli/Run.cs", "namespace DmarcAnalyzer.Cli;\nclass Run { DmarcAnalyzer.Ingest.Pipeline p; }"),
            ("Ingest/Pipeline.cs", "using DmarcAnalyzer.Storage;\nnamespace DmarcAnalyzer.Ingest;"),
            ("Storage/Writer.cs", "namespace DmarcAnalyzer.Storage;\nclass Writer { Ingest.Pipeline p; }"),
            ("Auth/Spf/Spf.cs", "namespace DmarcAnalyzer.Auth.Spf;\n// Storage.Writer is not used here\nclass Spf { }"),
        ]);

        Assert.Equal(["Auth", "Cli", "Ingest", "Program", "Storage"], graph.Rooms);
        Assert.Equal(["Ingest"], graph.Arrows["Cli"].Keys);
        Assert.Empty(graph.Arrows["Auth"]);
        Assert.Equal(["Storage/Writer.cs"], graph.Arrows["Storage"]["Ingest"]);
        Assert.Equal([["Ingest", "Storage"]], graph.Cycles());
        Assert.Equal([RoomGraph.EntryPoint], graph.Importers("Cli").Select(i => i.Room));
    }

    private static string Describe(IReadOnlyList<string> cycle) =>
        string.Join(", ", cycle) + " (" + string.Join("; ", cycle.SelectMany(from => cycle.Where(to => Code.Arrows[from].ContainsKey(to))
            .Select(to => $"{from} → {to} in {string.Join(", ", Code.Arrows[from][to])}"))) + ")";
}
