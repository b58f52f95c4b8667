using System.Globalization;
using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Charts;

/// <summary>A rendered chart: <see cref="Name"/> is its file stem, <see cref="Svg"/> the image.</summary>
internal sealed record Chart(string Name, string Title, string Svg);

/// <summary>The four charts of one domain, with descriptions that say in words what the picture shows.</summary>
internal static class DomainCharts
{
    public const int TopSenders = 10;
    public const int TopReporters = 10;
    private const string NoMessages = "No messages were reported in this period.";

    public static IReadOnlyList<Chart> Render(DomainAnalysis d, string idPrefix) =>
    [
        Volume(d, idPrefix + "-volume"),
        Rates(d, idPrefix + "-rates"),
        FailingSenders(d, idPrefix + "-failing"),
        Reporters(d, idPrefix + "-reporters"),
    ];

    private static Chart Volume(DomainAnalysis d, string id)
    {
        var weeks = d.Weeks.Select(w => w.Week.ToString()).ToList();
        var series = SenderClasses.All
            .Select(c => new ChartSeries<long>(c.Label(), ChartStyle.ClassCss(c), d.Weeks.Select(w => w.Tally.Of(c)).ToList()))
            .ToList();
        var title = $"Weekly volume of {d.Domain} by classification";
        var description = $"Stacked columns, messages per ISO week{Span(weeks)}. Total {ChartLayout.Count(d.Total.Volume)} messages: " +
            string.Join(", ", SenderClasses.All.Select(c => $"{c.Label()} {ChartLayout.Count(d.Total.Of(c))}")) + ".";
        return new Chart("volume", title,
            StackedColumnChart.Render(id, title, description, weeks, series, "messages per week", "ISO week (UTC)", NoMessages));
    }

    private static Chart Rates(DomainAnalysis d, string id)
    {
        var weeks = d.Weeks.Select(w => w.Week.ToString()).ToList();
        var series = new List<ChartSeries<double?>>
        {
            new("DMARC pass", "l-dmarc", d.Weeks.Select(w => w.Tally.DmarcPassRate).ToList()),
            new("aligned DKIM pass", "l-dkim", d.Weeks.Select(w => w.Tally.DkimAlignedRate).ToList()),
            new("aligned SPF pass", "l-spf", d.Weeks.Select(w => w.Tally.SpfAlignedRate).ToList()),
        };
        var title = $"Weekly pass rates of {d.Domain}";
        var description = $"Lines, share of messages passing per ISO week{Span(weeks)}. Over the period: DMARC {Rate(d.Total.DmarcPassRate)}, " +
            $"aligned DKIM {Rate(d.Total.DkimAlignedRate)}, aligned SPF {Rate(d.Total.SpfAlignedRate)}.";
        return new Chart("rates", title,
            LineChart.Render(id, title, description, weeks, series, ["m-dmarc", "m-dkim", "m-spf"], "messages passing (%)", "ISO week (UTC)", NoMessages));
    }

    private static Chart FailingSenders(DomainAnalysis d, string id)
    {
        var failing = SenderClasses.All.Where(c => c != SenderClass.Aligned).ToList();
        var top = d.Senders.Where(s => s.Tally.Failing > 0)
            .OrderByDescending(s => s.Tally.Failing).ThenBy(s => s.Name, StringComparer.Ordinal)
            .Take(TopSenders).ToList();
        var series = failing
            .Select(c => new ChartSeries<long>(c.Label(), ChartStyle.ClassCss(c), top.Select(s => s.Tally.Of(c)).ToList()))
            .ToList();
        var title = $"Top failing senders of {d.Domain}";
        var description = top.Count == 0
            ? "No sender failed DMARC in this period."
            : "Horizontal bars, messages failing DMARC per sender, biggest first: " +
              string.Join("; ", top.Select(s => $"{SafeText.Clean(s.Name, 60)} {ChartLayout.Count(s.Tally.Failing)}")) + ".";
        return new Chart("failing-senders", title,
            HorizontalBarChart.Render(id, title, description, top.Select(s => s.Name).ToList(), series,
                "messages failing DMARC in the period", "No sender failed DMARC in this period."));
    }

    private static Chart Reporters(DomainAnalysis d, string id)
    {
        var top = d.Reporters.Take(TopReporters).ToList();
        var series = new List<ChartSeries<long>> { new("messages", "k-volume", top.Select(r => r.Count).ToList()) };
        var title = $"Volume of {d.Domain} by reporter";
        var description = top.Count == 0
            ? NoMessages
            : "Horizontal bars, messages reported per reporting organisation, biggest first: " +
              string.Join("; ", top.Select(r => $"{SafeText.Clean(r.Name, 60)} {ChartLayout.Count(r.Count)}")) + ".";
        return new Chart("reporters", title,
            HorizontalBarChart.Render(id, title, description, top.Select(r => r.Name).ToList(), series, "messages reported in the period", NoMessages));
    }

    private static string Span(IReadOnlyList<string> weeks) => weeks.Count switch
    {
        0 => "",
        1 => $" ({weeks[0]})",
        _ => $" from {weeks[0]} to {weeks[^1]}",
    };

    public static string Rate(double? rate) => rate is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "n/a";
}
