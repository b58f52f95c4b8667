namespace DmarcAnalyzer.Charts;

/// <summary>One bar per label (a sender, a reporter), stacked from the series, the total written at its end.</summary>
internal static class HorizontalBarChart
{
    private const double Left = 250, Right = 90, Top = 74, Bottom = 56, Row = 28;

    public static string Render(
        string id, string title, string description, IReadOnlyList<string> labels,
        IReadOnlyList<ChartSeries<long>> series, string valueAxisLabel, string noData)
    {
        var height = Top + Bottom + Row * Math.Max(2, labels.Count);
        var svg = new SvgDocument(id, ChartLayout.Width, height, title, description);
        if (series.Count > 1)
            ChartLayout.Legend(svg, 52, series.Select(s => (s.Name, s.CssClass, false)).ToList());
        var totals = labels.Select((_, i) => series.Sum(s => s.Values[i])).ToList();
        var max = totals.DefaultIfEmpty(0).Max();
        if (max <= 0)
        {
            ChartLayout.NoData(svg, noData);
            return svg.Finish();
        }

        var (topValue, step) = ChartLayout.NiceScale(max, 4);
        var plotWidth = ChartLayout.Width - Left - Right;
        var bottom = Top + Row * labels.Count;
        for (var tick = 0; tick * step <= topValue + step / 2; tick++)
        {
            var x = Left + tick * step / topValue * plotWidth;
            svg.Line(x, Top - 6, x, bottom, "grid");
            svg.Text(x, bottom + 18, ChartLayout.Short(tick * step), "muted", "middle");
        }
        for (var i = 0; i < labels.Count; i++)
        {
            var y = Top + Row * i;
            svg.Text(Left - 10, y + Row / 2 + 4, SafeText.Clean(labels[i], 32), null, "end");
            var x = Left;
            foreach (var s in series)
            {
                var value = s.Values[i];
                if (value <= 0)
                    continue;
                var w = value / topValue * plotWidth;
                svg.Rect(x, y + 5, w, Row - 10, s.CssClass, $"{labels[i]}, {s.Name}: {ChartLayout.Count(value)} messages");
                x += w;
            }
            svg.Text(x + 6, y + Row / 2 + 4, ChartLayout.Count(totals[i]), "muted");
        }
        svg.Line(Left, Top - 6, Left, bottom, "axis");
        svg.Line(Left, bottom, Left + plotWidth, bottom, "axis");
        svg.Text(Left + plotWidth / 2, bottom + 40, valueAxisLabel, null, "middle");
        return svg.Finish();
    }
}
