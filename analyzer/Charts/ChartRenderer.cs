using System.Globalization;
using DmarcAnalyzer.Reports;
using ScottPlot;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// Draws a <see cref="Chart"/> with ScottPlot: SVG for the HTML report (light and dark), PNG for mail and <c>--png</c>.
/// Text from reports is made safe (<see cref="SafeText"/>) and capped before it reaches the plot; ScottPlot escapes
/// it in SVG. The font is DejaVu Sans (Debian fonts-dejavu-core): SkiaSharp measures every label with it, so the
/// layout leaves room for each and nothing overlaps.
/// </summary>
internal static class ChartRenderer
{
    public const int Width = 760;
    public const string Font = "DejaVu Sans";
    private const int LineHeight = 380;
    private const int LabelChars = 32;

    /// <summary>The smallest text the charts draw (tick labels, legends, bar totals), in pixels at the chart's own width.</summary>
    public const float TextSize = 13;

    /// <summary>The height a chart is drawn at for <see cref="Width"/>: bar charts grow with their rows.</summary>
    public static int Height(Chart chart) => chart.Body switch
    {
        HorizontalBars bars => 150 + 30 * Math.Max(2, bars.Labels.Count) + (bars.Series.Count > 1 ? 30 : 0),
        _ => LineHeight,
    };

    public static string Svg(Chart chart, ChartTheme theme)
    {
        var height = Height(chart);
        // SkiaSharp's SVG canvas drops dashed strokes (and says "Unsupported path effect" on stderr): the lines are drawn
        // solid and AccessibleSvg dashes them by their colour.
        using var plot = Draw(chart, theme, Width, dashes: false);
        var dashes = chart.Body is RateLines lines
            ? lines.Series.Select((s, k) => (Hex(theme.Of(s.Colour)), LineLooks[k % LineLooks.Length].SvgDash)).Where(d => d.SvgDash is not null)
                .ToDictionary(d => d.Item1, d => d.SvgDash!, StringComparer.OrdinalIgnoreCase)
            : [];
        return AccessibleSvg.Label(plot.GetSvgXml(Width, height), chart.Title, chart.AltText, dashes);
    }

    /// <summary>
    /// A PNG <paramref name="width"/> CSS pixels wide at twice the pixel density, light theme. Narrower than
    /// <see cref="Width"/>, it keeps its full height: titles, legends (which wrap to more rows) and tick labels take the
    /// same room at any width, and the plot needs what is left.
    /// </summary>
    public static (byte[] Png, int Width, int Height) Png(Chart chart, int width = Width)
    {
        var height = (int)Math.Round(Height(chart) * Math.Max((double)width / Width, 1));
        using var plot = Draw(chart, ChartTheme.Light, width, dashes: true);
        plot.ScaleFactor = 2;
        return (plot.GetImageBytes(width * 2, height * 2, ImageFormat.Png), width, height);
    }

    private static Plot Draw(Chart chart, ChartTheme theme, int width, bool dashes)
    {
        var plot = new Plot();
        Style(plot, theme);
        // A narrow chart (the digest's) gets a smaller title, cut with "…" where it would run past the edges:
        // DejaVu Sans averages about 0.6 em a character.
        var titleSize = width < Width ? 15f : 17f;
        plot.Title(SafeText.Clean(chart.Title, Math.Min(90, (int)((width - 20) / (titleSize * 0.6)))), titleSize);
        var drawn = chart.Body switch
        {
            StackedColumns c => Columns(plot, c, theme, width),
            RateLines l => Lines(plot, l, theme, width, dashes),
            HorizontalBars b => Bars(plot, b, theme),
            _ => throw new ArgumentOutOfRangeException(nameof(chart)),
        };
        if (!drawn)
            NoData(plot, chart.Body.NoData, theme);
        return plot;
    }

    private static void Style(Plot plot, ChartTheme theme)
    {
        plot.Font.Set(Font);
        plot.FigureBackground.Color = theme.Background;
        plot.DataBackground.Color = theme.Background;
        plot.Axes.Color(theme.Text);
        plot.Axes.FrameColor(theme.Axis);
        plot.Grid.MajorLineColor = theme.Grid;
        plot.Legend.BackgroundColor = theme.Background;
        plot.Legend.FontColor = theme.Text;
        plot.Legend.OutlineWidth = 0;
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.Legend.FontSize = TextSize;
        plot.Legend.Margin = new PixelPadding(0);
        plot.Legend.Padding = new PixelPadding(4);
        plot.Legend.TightHorizontalWrapping = true;
        plot.Axes.Bottom.TickLabelStyle.FontSize = TextSize;
        plot.Axes.Left.TickLabelStyle.FontSize = TextSize;
        plot.Axes.Bottom.Label.FontSize = 14;
        plot.Axes.Left.Label.FontSize = 14;
    }

    private static bool Columns(Plot plot, StackedColumns chart, ChartTheme theme, int width)
    {
        var totals = chart.Categories.Select((_, i) => chart.Series.Sum(s => s.Values[i])).ToList();
        if (totals.DefaultIfEmpty(0).Max() <= 0)
            return false;
        var bars = new List<Bar>();
        for (var i = 0; i < chart.Categories.Count; i++)
        {
            double bottom = 0;
            foreach (var s in chart.Series)
            {
                if (s.Values[i] <= 0)
                    continue;
                bars.Add(new Bar { Position = i, ValueBase = bottom, Value = bottom + s.Values[i], FillColor = theme.Of(s.Colour), LineWidth = 0, Size = 0.6 });
                bottom += s.Values[i];
            }
        }
        plot.Add.Bars(bars);
        Legend(plot, chart.Series.Select(s => (s.Name, theme.Of(s.Colour))));
        CategoryTicks(plot, chart.Categories, width);
        CountTicks(plot.Axes.Left);
        plot.Axes.SetLimits(-0.5, chart.Categories.Count - 0.5, 0, totals.Max() * 1.08);
        plot.XLabel(chart.CategoryAxis);
        plot.YLabel(chart.ValueAxis);
        return true;
    }

    /// <summary>
    /// How each line looks, by its place. Lines often coincide (DMARC and aligned DKIM are the same when SPF never aligns
    /// alone), so each is drawn narrower than the one before, with a smaller marker, on top of it: where two meet, the
    /// earlier shows as a wide band around the later and both stay visible.
    /// </summary>
    private static readonly (LinePattern Pattern, string? SvgDash, MarkerShape Marker, float Width, float MarkerSize)[] LineLooks =
    [
        (LinePattern.Solid, null, MarkerShape.FilledCircle, 6.5f, 14),
        (LinePattern.Dashed, "8 4", MarkerShape.FilledSquare, 3.5f, 9),
        (LinePattern.Dotted, "2 3", MarkerShape.FilledTriangleUp, 1.8f, 6),
    ];

    private static bool Lines(Plot plot, RateLines chart, ChartTheme theme, int width, bool dashes)
    {
        if (!chart.Series.Any(s => s.Values.Any(v => v is not null)))
            return false;
        var xs = Enumerable.Range(0, chart.Categories.Count).Select(i => (double)i).ToArray();
        for (var k = 0; k < chart.Series.Count; k++)
        {
            var s = chart.Series[k];
            var look = LineLooks[k % LineLooks.Length];
            // NaN breaks the line: a week without messages has no rate, which is not a rate of zero.
            var scatter = plot.Add.Scatter(xs, s.Values.Select(v => v is { } r ? RateLines.Percent(r) : double.NaN).ToArray());
            scatter.LegendText = SafeText.Clean(s.Name, 40);
            scatter.Color = theme.Of(s.Colour);
            scatter.LineWidth = look.Width;
            scatter.LinePattern = dashes ? look.Pattern : LinePattern.Solid;
            scatter.MarkerShape = look.Marker;
            scatter.MarkerSize = look.MarkerSize;
        }
        plot.ShowLegend(Edge.Top);
        CategoryTicks(plot, chart.Categories, width);
        var axis = chart.Axis;
        var ticks = axis.Ticks;
        plot.Axes.Left.SetTicks([.. ticks], [.. ticks.Select(RateAxis.Label)]);
        var margin = (100 - axis.From) * 0.03;
        plot.Axes.SetLimits(-0.5, chart.Categories.Count - 0.5, axis.From - margin, 100 + margin);
        plot.XLabel(chart.CategoryAxis);
        plot.YLabel(axis.Title(chart.ValueAxis));
        return true;
    }

    private static bool Bars(Plot plot, HorizontalBars chart, ChartTheme theme)
    {
        var totals = chart.Labels.Select((_, i) => chart.Series.Sum(s => s.Values[i])).ToList();
        if (totals.DefaultIfEmpty(0).Max() <= 0)
            return false;
        var n = chart.Labels.Count;
        var bars = new List<Bar>();
        for (var i = 0; i < n; i++)
        {
            // The biggest comes first, at the top.
            var position = n - 1 - i;
            double left = 0;
            foreach (var s in chart.Series)
            {
                if (s.Values[i] <= 0)
                    continue;
                bars.Add(new Bar { Position = position, ValueBase = left, Value = left + s.Values[i], FillColor = theme.Of(s.Colour), LineWidth = 0, Size = 0.65 });
                left += s.Values[i];
            }
            var total = plot.Add.Text(Count(totals[i]), totals[i], position);
            total.LabelFontColor = theme.Muted;
            total.LabelFontSize = TextSize;
            total.LabelFontName = Font;
            total.LabelAlignment = Alignment.MiddleLeft;
            total.OffsetX = 6;
        }
        var plotted = plot.Add.Bars(bars);
        plotted.Horizontal = true;
        if (chart.Series.Count > 1)
            Legend(plot, chart.Series.Select(s => (s.Name, theme.Of(s.Colour))));
        plot.Axes.Left.SetTicks(
            Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(),
            chart.Labels.Select(l => SafeText.Clean(l, LabelChars)).ToArray());
        plot.Axes.Left.MajorTickStyle.Length = 0;
        CountTicks(plot.Axes.Bottom);
        // Room on the right for the longest total.
        plot.Axes.SetLimits(0, totals.Max() * 1.18, -0.6, n - 0.4);
        plot.XLabel(chart.ValueAxis);
        return true;
    }

    private static void Legend(Plot plot, IEnumerable<(string Name, Color Colour)> entries)
    {
        foreach (var (name, colour) in entries)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = SafeText.Clean(name, 40), FillColor = colour });
        plot.ShowLegend(Edge.Top);
    }

    /// <summary>Category labels along the bottom: every n-th when all of them would not fit side by side.</summary>
    private static void CategoryTicks(Plot plot, IReadOnlyList<string> categories, int width)
    {
        var slot = (width - 120.0) / Math.Max(1, categories.Count);
        var every = Math.Max(1, (int)Math.Ceiling(90 / slot));
        var shown = Enumerable.Range(0, categories.Count).Where(i => i % every == 0).ToList();
        plot.Axes.Bottom.SetTicks(shown.Select(i => (double)i).ToArray(), shown.Select(i => SafeText.Clean(categories[i], 20)).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
    }

    /// <summary>Whole counts, short: 1,500 as 1.5k, 2,000,000 as 2M.</summary>
    private static void CountTicks(IAxis axis) =>
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true, LabelFormatter = Short };

    private static void NoData(Plot plot, string message, ChartTheme theme)
    {
        plot.HideAxesAndGrid();
        plot.Axes.Title.IsVisible = true;
        var text = plot.Add.Text(SafeText.Clean(message), 0, 0);
        text.LabelFontColor = theme.Muted;
        text.LabelFontSize = 15;
        text.LabelFontName = Font;
        text.LabelAlignment = Alignment.MiddleCenter;
        plot.Axes.SetLimits(-1, 1, -1, 1);
    }

    private static string Hex(Color c) => $"#{c.R:X2}{c.G:X2}{c.B:X2}";

    public static string Count(double value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Short(double value) => Math.Abs(value) switch
    {
        >= 1_000_000 => (value / 1_000_000).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (value / 1_000).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString("#,0", CultureInfo.InvariantCulture),
    };
}
