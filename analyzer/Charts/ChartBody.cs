namespace DmarcAnalyzer.Charts;

/// <summary>What a chart draws; <see cref="NoData"/> is shown instead when there is nothing to draw.</summary>
internal abstract record ChartBody(string NoData);

/// <summary>Columns per category (an ISO week), each stacked from the series' counts.</summary>
internal sealed record StackedColumns(
    IReadOnlyList<string> Categories, IReadOnlyList<ChartSeries<long>> Series, string ValueAxis, string CategoryAxis, string NoData)
    : ChartBody(NoData);

/// <summary>
/// Rates (0 to 1) as lines over categories on an axis that ends at 100% and starts where the values need it to
/// (<see cref="RateAxis"/>). A category without messages has no value: the line breaks there instead of dropping to zero.
/// </summary>
internal sealed record RateLines(
    IReadOnlyList<string> Categories, IReadOnlyList<ChartSeries<double?>> Series, string ValueAxis, string CategoryAxis, string NoData)
    : ChartBody(NoData)
{
    public RateAxis Axis => RateAxis.For(Series.SelectMany(s => s.Values).OfType<double>().Select(Percent));

    /// <summary>A rate as drawn: 0 to 100.</summary>
    public static double Percent(double rate) => Math.Clamp(rate, 0, 1) * 100;
}

/// <summary>One bar per label (a sender, a reporter), biggest first, stacked from the series, its total written at its end.</summary>
internal sealed record HorizontalBars(IReadOnlyList<string> Labels, IReadOnlyList<ChartSeries<long>> Series, string ValueAxis, string NoData)
    : ChartBody(NoData);
