using System.Globalization;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Charts;

/// <summary>The four charts of one domain, with descriptions that say in words what the picture shows.</summary>
internal static class DomainCharts
{
    public const int TopSenders = 10;
    public const int TopReporters = 10;
    private const string NoMessages = "No messages were reported in this period.";

    public static IReadOnlyList<Chart> Of(DomainAnalysis d) => [Volume(d), Rates(d), FailingSenders(d), Reporters(d)];

    private static Chart Volume(DomainAnalysis d)
    {
        var weeks = d.Weeks.Select(w => w.Week.ToString()).ToList();
        var series = SenderClasses.All
            .Select(c => new ChartSeries<long>(c.Label(), ChartColours.Of(c), d.Weeks.Select(w => w.Tally.Of(c)).ToList()))
            .ToList();
        var title = $"Weekly volume of {d.Domain} by classification";
        var description = $"Stacked columns, messages per ISO week{Span(weeks)}. Total {ChartRenderer.Count(d.Total.Volume)} messages: " +
            string.Join(", ", SenderClasses.All.Select(c => $"{c.Label()} {ChartRenderer.Count(d.Total.Of(c))}")) + ".";
        return new Chart("volume", title, description, new StackedColumns(weeks, series, "messages per week", "ISO week (UTC)", NoMessages));
    }

    private static Chart Rates(DomainAnalysis d)
    {
        var weeks = d.Weeks.Select(w => w.Week.ToString()).ToList();
        var series = new List<ChartSeries<double?>>
        {
            new("DMARC pass", ChartColour.Dmarc, d.Weeks.Select(w => w.Tally.DmarcPassRate).ToList()),
            new("aligned DKIM pass", ChartColour.Dkim, d.Weeks.Select(w => w.Tally.DkimAlignedRate).ToList()),
            new("aligned SPF pass", ChartColour.Spf, d.Weeks.Select(w => w.Tally.SpfAlignedRate).ToList()),
        };
        var title = $"Weekly pass rates of {d.Domain}";
        var description = $"Lines, share of messages passing per ISO week{Span(weeks)}. Over the period: DMARC {Rate(d.Total.DmarcPassRate)}, " +
            $"aligned DKIM {Rate(d.Total.DkimAlignedRate)}, aligned SPF {Rate(d.Total.SpfAlignedRate)}.";
        return new Chart("rates", title, description, new RateLines(weeks, series, "messages passing (%)", "ISO week (UTC)", NoMessages));
    }

    private static Chart FailingSenders(DomainAnalysis d)
    {
        var failing = SenderClasses.All.Where(c => c != SenderClass.Aligned).ToList();
        var top = d.Senders.Where(s => s.Tally.Failing > 0)
            .OrderByDescending(s => s.Tally.Failing).ThenBy(s => s.Name, StringComparer.Ordinal)
            .Take(TopSenders).ToList();
        var series = failing
            .Select(c => new ChartSeries<long>(c.Label(), ChartColours.Of(c), top.Select(s => s.Tally.Of(c)).ToList()))
            .ToList();
        var title = $"Top failing senders of {d.Domain}";
        var description = top.Count == 0
            ? "No sender failed DMARC in this period."
            : "Horizontal bars, messages failing DMARC per sender, biggest first: " +
              string.Join("; ", top.Select(s => $"{SafeText.Clean(s.Name, 60)} {ChartRenderer.Count(s.Tally.Failing)}")) + ".";
        return new Chart("failing-senders", title, description,
            new HorizontalBars(top.Select(s => s.Name).ToList(), series, "messages failing DMARC in the period", "No sender failed DMARC in this period."));
    }

    private static Chart Reporters(DomainAnalysis d)
    {
        var top = d.Reporters.Take(TopReporters).ToList();
        var series = new List<ChartSeries<long>> { new("messages", ChartColour.Volume, top.Select(r => r.Count).ToList()) };
        var title = $"Volume of {d.Domain} by reporter";
        var description = top.Count == 0
            ? NoMessages
            : "Horizontal bars, messages reported per reporting organisation, biggest first: " +
              string.Join("; ", top.Select(r => $"{SafeText.Clean(r.Name, 60)} {ChartRenderer.Count(r.Count)}")) + ".";
        return new Chart("reporters", title, description,
            new HorizontalBars(top.Select(r => r.Name).ToList(), series, "messages reported in the period", NoMessages));
    }

    private static string Span(IReadOnlyList<string> weeks) => weeks.Count switch
    {
        0 => "",
        1 => $" ({weeks[0]})",
        _ => $" from {weeks[0]} to {weeks[^1]}",
    };

    public static string Rate(double? rate) => rate is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "n/a";
}
