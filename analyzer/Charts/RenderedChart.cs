namespace DmarcAnalyzer.Charts;

/// <summary>A chart drawn for the HTML report: the light and the dark SVG, and the size they are drawn at.</summary>
internal sealed record RenderedChart(Chart Chart, string LightSvg, string DarkSvg, int Width, int Height)
{
    public static RenderedChart Of(Chart chart) =>
        new(chart, ChartRenderer.Svg(chart, ChartTheme.Light), ChartRenderer.Svg(chart, ChartTheme.Dark), ChartRenderer.Width, ChartRenderer.Height(chart));
}
