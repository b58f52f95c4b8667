using System.Text;
using System.Text.RegularExpressions;

namespace DmarcAnalyzer.Tests.Architecture;

/// <summary>
/// Which room imports which, read from the source: a room is the first folder under analyzer/ (Auth/Spf counts as
/// Auth); files at the top (Program.cs) are the entry point, <see cref="EntryPoint"/>. An arrow A → B is a
/// <c>using DmarcAnalyzer.B…</c>, a fully qualified <c>DmarcAnalyzer.B.</c> or a name qualified from the enclosing
/// namespace (<c>Storage.RawInput</c>) in code of room A; comments do not count.
/// </summary>
internal sealed partial class RoomGraph
{
    public const string EntryPoint = "Program";

    private RoomGraph(SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> arrows) => Arrows = arrows;

    /// <summary>Room → rooms it imports → the files (relative to analyzer/) that do.</summary>
    public SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> Arrows { get; }

    public IEnumerable<string> Rooms => Arrows.Keys;

    public static RoomGraph FromFolder(string analyzer)
    {
        var files = Directory.EnumerateFiles(analyzer, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(analyzer, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("bin/", StringComparison.Ordinal) && !f.StartsWith("obj/", StringComparison.Ordinal))
            .Select(f => (f, File.ReadAllText(Path.Combine(analyzer, f))));
        return FromSources(files);
    }

    public static RoomGraph FromSources(IEnumerable<(string Path, string Text)> files)
    {
        var sources = files.ToList();
        var rooms = sources.Select(s => RoomOf(s.Path)).ToHashSet(StringComparer.Ordinal);
        var arrows = new SortedDictionary<string, SortedDictionary<string, SortedSet<string>>>(StringComparer.Ordinal);
        foreach (var room in rooms)
            arrows[room] = new(StringComparer.Ordinal);
        foreach (var (path, text) in sources)
        {
            var from = RoomOf(path);
            var code = Comment().Replace(text, " ");
            var targets = FullyQualified().Matches(code).Concat(RelativelyQualified().Matches(code))
                .Select(m => m.Groups[1].Value).Where(rooms.Contains);
            foreach (var to in targets.Where(t => t != from && t != EntryPoint))
            {
                if (!arrows[from].TryGetValue(to, out var by))
                    arrows[from][to] = by = new(StringComparer.Ordinal);
                by.Add(path);
            }
        }
        return new RoomGraph(arrows);
    }

    private static string RoomOf(string path) => path.IndexOf('/') is var slash and > 0 ? path[..slash] : EntryPoint;

    /// <summary>Every set of rooms that reach each other (strongly connected components of more than one room).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var cycles = new List<IReadOnlyList<string>>();
        foreach (var room in Rooms)
        {
            var circle = Rooms.Where(other => other != room && Reaches(room, other) && Reaches(other, room)).Append(room)
                .Order(StringComparer.Ordinal).ToList();
            if (circle.Count > 1 && !cycles.Any(c => c.SequenceEqual(circle)))
                cycles.Add(circle);
        }
        return cycles;
    }

    public bool Reaches(string from, string to)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([from]);
        while (pending.TryPop(out var room))
            foreach (var next in Arrows.GetValueOrDefault(room)?.Keys ?? Enumerable.Empty<string>())
            {
                if (next == to)
                    return true;
                if (seen.Add(next))
                    pending.Push(next);
            }
        return false;
    }

    /// <summary>The rooms that import <paramref name="room"/>, with the files that do.</summary>
    public IEnumerable<(string Room, IEnumerable<string> Files)> Importers(string room) =>
        Arrows.Where(a => a.Value.ContainsKey(room)).Select(a => (a.Key, (IEnumerable<string>)a.Value[room]));

    /// <summary>
    /// The rooms from the bottom up (a room after every room it imports, ties by name) with their arrows: the part of
    /// docs/architecture.md that is generated. Assumes no cycles.
    /// </summary>
    public string Render()
    {
        var order = new List<string>();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        while (order.Count < Arrows.Count)
        {
            var next = Arrows.Keys.Where(r => !placed.Contains(r) && Arrows[r].Keys.All(placed.Contains)).ToList();
            if (next.Count == 0)
                throw new InvalidOperationException("the rooms import each other: " + string.Join(", ", Arrows.Keys.Where(r => !placed.Contains(r))));
            order.AddRange(next);
            placed.UnionWith(next);
        }
        var text = new StringBuilder();
        text.Append("```mermaid\nflowchart BT\n");
        foreach (var room in order)
        {
            if (Arrows[room].Count == 0)
                text.Append($"    {room}\n");
            foreach (var to in Arrows[room].Keys)
                text.Append($"    {room} --> {to}\n");
        }
        text.Append("```\n\n| room | imports |\n| --- | --- |\n");
        foreach (var room in order)
            text.Append($"| {room} | {(Arrows[room].Count == 0 ? "nothing" : string.Join(", ", Arrows[room].Keys))} |\n");
        return text.ToString();
    }

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"\bDmarcAnalyzer\.([A-Z]\w*)")]
    private static partial Regex FullyQualified();

    /// <summary>A room's name at the start of a qualified name (not after a dot, not inside a longer word).</summary>
    [GeneratedRegex(@"(?<![\w.])([A-Z]\w*)\.[A-Z]")]
    private static partial Regex RelativelyQualified();
}
