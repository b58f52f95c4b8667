using System.Globalization;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// Rates (0 to 1) as lines over categories, on a 0–100% axis. A category without messages has no value:
/// the line breaks there instead of dropping to zero. A single category shows its markers alone.
/// </summary>
internal static class LineChart
{
    private const double Height = 380, Left = 84, Right = 24, Top = 74, Bottom = 64;

    public static string Render(
        string id, string title, string description, IReadOnlyList<string> categories,
        IReadOnlyList<ChartSeries<double?>> series, IReadOnlyList<string> markerCss,
        string valueAxisLabel, string categoryAxisLabel, string noData)
    {
        var svg = new SvgDocument(id, ChartLayout.Width, Height, title, description);
        ChartLayout.Legend(svg, 52, series.Select(s => (s.Name, s.CssClass, true)).ToList());
        if (!series.Any(s => s.Values.Any(v => v is not null)))
        {
            ChartLayout.NoData(svg, noData);
            return svg.Finish();
        }

        var plotWidth = ChartLayout.Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var baseline = Top + plotHeight;
        for (var percent = 0; percent <= 100; percent += 20)
        {
            var y = baseline - percent / 100.0 * plotHeight;
            svg.Line(Left, y, Left + plotWidth, y, "grid");
            svg.Text(Left - 8, y + 4, percent.ToString(CultureInfo.InvariantCulture) + "%", "muted", "end");
        }
        svg.Text(20, Top + plotHeight / 2, valueAxisLabel, null, "middle", -90);

        var slot = plotWidth / categories.Count;
        double X(int i) => Left + slot * i + slot / 2;
        double Y(double rate) => baseline - Math.Clamp(rate, 0, 1) * plotHeight;
        for (var k = 0; k < series.Count; k++)
        {
            var s = series[k];
            var run = new List<(double, double)>();
            for (var i = 0; i <= categories.Count; i++)
            {
                if (i < categories.Count && s.Values[i] is { } v)
                {
                    run.Add((X(i), Y(v)));
                    continue;
                }
                if (run.Count > 1)
                    svg.Polyline(run, s.CssClass);
                run.Clear();
            }
            for (var i = 0; i < categories.Count; i++)
            {
                if (s.Values[i] is { } v)
                    svg.Marker(X(i), Y(v), k, markerCss[k], $"{categories[i]}, {s.Name}: {(v * 100).ToString("0.0", CultureInfo.InvariantCulture)}%");
            }
        }

        var every = ChartLayout.LabelEvery(slot, 80);
        for (var i = 0; i < categories.Count; i += every)
            svg.Text(X(i), baseline + 20, categories[i], null, "middle");
        svg.Line(Left, Top, Left, baseline, "axis");
        svg.Line(Left, baseline, Left + plotWidth, baseline, "axis");
        svg.Text(Left + plotWidth / 2, Height - 16, categoryAxisLabel, null, "middle");
        return svg.Finish();
    }
}
