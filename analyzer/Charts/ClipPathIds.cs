using System.Globalization;
using System.Text.RegularExpressions;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// SkiaSharp's SVG canvas names each clip path <c>cl_N</c> (N in hex) from one counter for the whole process, so charts
/// drawn side by side get their numbers in whatever order the threads happen to take them. <see cref="Renumber"/> gives
/// each SVG of a batch, in output order, the next numbers from the batch's lowest: the bytes of drawing them one after
/// another, whatever the interleaving. Only attributes inside tags are touched (<c>id="cl_N"</c> and
/// <c>clip-path="url(#cl_N)"</c>), never text, which may carry report data.
/// </summary>
internal static partial class ClipPathIds
{
    [GeneratedRegex("<[^<>]*>")]
    private static partial Regex Tag();

    [GeneratedRegex("""(?<=(?: id="|clip-path="url\(#))cl_([0-9a-f]+)(?=[")])""")]
    private static partial Regex Id();

    [GeneratedRegex("""(?<= id=")cl_([0-9a-f]+)(?=")""")]
    private static partial Regex Definition();

    public static IReadOnlyList<string> Renumber(IReadOnlyList<string> svgs)
    {
        var defined = svgs.Select(Definitions).ToList();
        if (defined.All(d => d.Count == 0))
            return svgs;
        var next = defined.Where(d => d.Count > 0).Min(d => d[0]);
        var renumbered = new string[svgs.Count];
        for (var i = 0; i < svgs.Count; i++)
        {
            var map = new Dictionary<long, long>();
            foreach (var id in defined[i])
                map[id] = next++;
            renumbered[i] = map.All(m => m.Key == m.Value)
                ? svgs[i]
                : Tag().Replace(svgs[i], tag => Id().Replace(tag.Value, id =>
                    map.TryGetValue(Number(id.Groups[1].Value), out var to) ? "cl_" + to.ToString("x", CultureInfo.InvariantCulture) : id.Value));
        }
        return renumbered;
    }

    /// <summary>The clip path numbers an SVG defines, lowest first: the order the counter gave them out.</summary>
    private static List<long> Definitions(string svg) =>
        Tag().Matches(svg).SelectMany(tag => Definition().Matches(tag.Value)).Select(m => Number(m.Groups[1].Value)).Distinct().Order().ToList();

    private static long Number(string hex) => long.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
}
