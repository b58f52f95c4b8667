namespace DmarcAnalyzer.Charts;

/// <summary>One named series of a chart; <see cref="CssClass"/> picks its colour from <see cref="ChartStyle"/>.</summary>
internal sealed record ChartSeries<T>(string Name, string CssClass, IReadOnlyList<T> Values);
