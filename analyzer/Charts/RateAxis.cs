using System.Globalization;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// Where a pass-rate axis starts and how far apart its ticks are. It always ends at 100%; it starts above 0 only when
/// every value sits high (a 0–100% axis flattens a fall from 99.8% to 97% into a line), and then says so in its label.
/// </summary>
internal sealed record RateAxis(double From, double Step)
{
    /// <summary>The starts tried, highest first, each with its tick step.</summary>
    private static readonly RateAxis[] Choices = [new(98, 0.5), new(95, 1), new(90, 2), new(80, 5), new(70, 5), new(50, 10), new(0, 20)];

    public static RateAxis Full { get; } = Choices[^1];

    public bool StartsAtZero => From == 0;

    /// <summary>
    /// The highest start that keeps the lowest value in the upper nine tenths of the axis, so no point sits on its floor;
    /// 0 when none does or there are no values. <paramref name="percents"/> are 0 to 100.
    /// </summary>
    public static RateAxis For(IEnumerable<double> percents)
    {
        var lowest = percents.DefaultIfEmpty(0).Min();
        return Choices.SkipLast(1).FirstOrDefault(c => lowest >= c.From + (100 - c.From) / 10) ?? Full;
    }

    public IReadOnlyList<double> Ticks =>
        Enumerable.Range(0, (int)Math.Round((100 - From) / Step) + 1).Select(i => From + i * Step).ToList();

    public static string Label(double percent) => percent.ToString("0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>The axis title: the chart's own, and where the axis starts when that is not 0.</summary>
    public string Title(string valueAxis) => StartsAtZero ? valueAxis : $"{valueAxis}, axis from {Label(From)}";

    /// <summary>For the text alternative: what a reader of the picture needs to know about its axis.</summary>
    public string Note => StartsAtZero ? "" : $" The rate axis starts at {Label(From)}, not 0.";
}
