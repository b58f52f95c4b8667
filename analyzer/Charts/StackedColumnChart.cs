namespace DmarcAnalyzer.Charts;

/// <summary>Columns per category (a week), each stacked from the series' values, with a count axis.</summary>
internal static class StackedColumnChart
{
    private const double Height = 380, Left = 84, Right = 24, Top = 74, Bottom = 64;

    public static string Render(
        string id, string title, string description, IReadOnlyList<string> categories,
        IReadOnlyList<ChartSeries<long>> series, string valueAxisLabel, string categoryAxisLabel, string noData)
    {
        var svg = new SvgDocument(id, ChartLayout.Width, Height, title, description);
        ChartLayout.Legend(svg, 52, series.Select(s => (s.Name, s.CssClass, false)).ToList());
        var totals = categories.Select((_, i) => series.Sum(s => s.Values[i])).ToList();
        var max = totals.DefaultIfEmpty(0).Max();
        if (max <= 0)
        {
            ChartLayout.NoData(svg, noData);
            return svg.Finish();
        }

        var (topValue, step) = ChartLayout.NiceScale(max);
        var plotWidth = ChartLayout.Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var baseline = Top + plotHeight;
        for (var tick = 0; tick * step <= topValue + step / 2; tick++)
        {
            var y = baseline - tick * step / topValue * plotHeight;
            svg.Line(Left, y, Left + plotWidth, y, "grid");
            svg.Text(Left - 8, y + 4, ChartLayout.Short(tick * step), "muted", "end");
        }
        svg.Text(20, Top + plotHeight / 2, valueAxisLabel, null, "middle", -90);

        var slot = plotWidth / categories.Count;
        var barWidth = Math.Min(56, slot * 0.7);
        var every = ChartLayout.LabelEvery(slot, 80);
        for (var i = 0; i < categories.Count; i++)
        {
            var x = Left + slot * i + (slot - barWidth) / 2;
            var y = baseline;
            foreach (var s in series)
            {
                var value = s.Values[i];
                if (value <= 0)
                    continue;
                var h = value / topValue * plotHeight;
                y -= h;
                svg.Rect(x, y, barWidth, h, s.CssClass, $"{categories[i]}, {s.Name}: {ChartLayout.Count(value)} messages");
            }
            if (i % every == 0)
                svg.Text(Left + slot * i + slot / 2, baseline + 20, categories[i], null, "middle");
        }
        svg.Line(Left, Top, Left, baseline, "axis");
        svg.Line(Left, baseline, Left + plotWidth, baseline, "axis");
        svg.Text(Left + plotWidth / 2, Height - 16, categoryAxisLabel, null, "middle");
        return svg.Finish();
    }
}
