using System.Globalization;

namespace DmarcAnalyzer.Charts;

/// <summary>Pieces every chart shares: the legend, a value axis with round ticks, the "no data" notice.</summary>
internal static class ChartLayout
{
    public const double Width = 760;

    /// <summary>A round axis maximum and step (1, 2 or 5 times a power of ten) for values up to <paramref name="max"/>.</summary>
    public static (double Top, double Step) NiceScale(double max, int ticks = 5)
    {
        if (!double.IsFinite(max) || max <= 0)
            return (1, 1);
        var raw = max / ticks;
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = (raw / power) switch { <= 1 => power, <= 2 => 2 * power, <= 5 => 5 * power, _ => 10 * power };
        step = Math.Max(1, step);
        return (Math.Ceiling(max / step) * step, step);
    }

    /// <summary>Legend entries in one row under the title: a swatch (or line sample) and the name.</summary>
    public static void Legend(SvgDocument svg, double y, IReadOnlyList<(string Name, string CssClass, bool IsLine)> entries)
    {
        var x = 16.0;
        foreach (var (name, css, isLine) in entries)
        {
            if (isLine)
                svg.Line(x, y - 4, x + 24, y - 4, css);
            else
                svg.Rect(x, y - 11, 14, 14, css);
            var label = SafeText.Clean(name, 40);
            svg.Text(x + (isLine ? 30 : 20), y, label);
            x += (isLine ? 36 : 26) + label.Length * 7.2 + 14;
        }
    }

    public static void NoData(SvgDocument svg, string message) =>
        svg.Text(svg.Width / 2, svg.Height / 2, message, "muted", "middle");

    public static string Count(double value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    /// <summary>Short axis numbers: 1,500 → 1.5k, 2,000,000 → 2M.</summary>
    public static string Short(double value) => value switch
    {
        >= 1_000_000 => (value / 1_000_000).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (value / 1_000).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString("#,0", CultureInfo.InvariantCulture),
    };

    /// <summary>Which category labels to print so that they do not overlap: every n-th.</summary>
    public static int LabelEvery(double slotWidth, double labelWidth) =>
        Math.Max(1, (int)Math.Ceiling(labelWidth / Math.Max(1, slotWidth)));
}
