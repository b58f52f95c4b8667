namespace DmarcAnalyzer.Charts;

/// <summary>A chart drawn for the HTML report: the light and the dark SVG, and the size they are drawn at.</summary>
internal sealed record RenderedChart(Chart Chart, string LightSvg, string DarkSvg, int Width, int Height)
{
    public static RenderedChart Of(Chart chart) =>
        new(chart, ChartRenderer.Svg(chart, ChartTheme.Light), ChartRenderer.Svg(chart, ChartTheme.Dark), ChartRenderer.Width, ChartRenderer.Height(chart));

    /// <summary>
    /// The charts drawn on all cores, each SVG on its own, then their clip path ids put in output order
    /// (<see cref="ClipPathIds"/>): the same bytes as <see cref="Of"/> one chart after another.
    /// </summary>
    public static IReadOnlyList<RenderedChart> OfAll(IReadOnlyList<Chart> charts, CancellationToken ct)
    {
        var svgs = new string[charts.Count * 2];
        Parallel.For(0, svgs.Length, new ParallelOptions { CancellationToken = ct },
            i => svgs[i] = ChartRenderer.Svg(charts[i / 2], i % 2 == 0 ? ChartTheme.Light : ChartTheme.Dark));
        var numbered = ClipPathIds.Renumber(svgs);
        return charts.Select((chart, k) => new RenderedChart(chart, numbered[2 * k], numbered[2 * k + 1], ChartRenderer.Width, ChartRenderer.Height(chart)))
            .ToList();
    }
}
