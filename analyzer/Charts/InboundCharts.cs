using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Charts;

/// <summary>The inbound section's charts: weekly DMARC results of received mail, and weekly SPF/DKIM/DMARC pass rates.</summary>
internal static class InboundCharts
{
    private const string NoMessages = "No mail was received in this period.";

    /// <summary>DMARC results stacked, with the palette's meanings: green passes, red fails, blue has no policy.</summary>
    private static readonly (string Word, ChartColour Colour)[] DmarcSeries =
    [
        ("pass", ChartColour.Aligned), ("fail", ChartColour.Unknown), ("none", ChartColour.Forwarded), ("temperror", ChartColour.Authorised),
        ("permerror", ChartColour.Authorised), (InboundAnalysis.NotChecked, ChartColour.Volume),
    ];

    public static IReadOnlyList<Chart> Of(InboundAnalysis inbound) => [Results(inbound), Rates(inbound)];

    private static Chart Results(InboundAnalysis inbound)
    {
        var weeks = inbound.Weeks.Select(w => w.Label).ToList();
        var series = DmarcSeries
            .Where(s => InboundTally.Of(inbound.Total.Dmarc, s.Word) > 0 || s.Word is "pass" or "fail")
            .Select(s => new ChartSeries<long>($"DMARC {s.Word}", s.Colour, inbound.Weeks.Select(w => InboundTally.Of(w.Tally.Dmarc, s.Word)).ToList()))
            .ToList();
        const string title = "Received mail per week by DMARC result";
        var description = $"Stacked columns, messages received per ISO week. Total {ChartRenderer.Count(inbound.Total.Messages)} messages: " +
            string.Join(", ", inbound.Total.Dmarc.Where(c => c.Count > 0).Select(c => $"{c.Name} {ChartRenderer.Count(c.Count)}")) + ".";
        return new Chart("dmarc-results", title, description, new StackedColumns(weeks, series, "messages per week", "ISO week (UTC)", NoMessages));
    }

    private static Chart Rates(InboundAnalysis inbound)
    {
        var weeks = inbound.Weeks.Select(w => w.Label).ToList();
        var series = new List<ChartSeries<double?>>
        {
            new("DMARC pass", ChartColour.Dmarc, inbound.Weeks.Select(w => PassRate(w.Tally.Dmarc, w.Tally.Messages)).ToList()),
            new("DKIM pass", ChartColour.Dkim, inbound.Weeks.Select(w => PassRate(w.Tally.Dkim, w.Tally.Messages)).ToList()),
            new("SPF pass", ChartColour.Spf, inbound.Weeks.Select(w => PassRate(w.Tally.Spf, w.Tally.Messages)).ToList()),
        };
        const string title = "Pass rates of received mail per week";
        var t = inbound.Total;
        var description = $"Lines, share of received messages passing per ISO week. Over the period: DMARC {DomainCharts.Rate(PassRate(t.Dmarc, t.Messages))}, " +
            $"DKIM {DomainCharts.Rate(PassRate(t.Dkim, t.Messages))}, SPF {DomainCharts.Rate(PassRate(t.Spf, t.Messages))}.";
        return new Chart("pass-rates", title, description, new RateLines(weeks, series, "messages passing (%)", "ISO week (UTC)", NoMessages));
    }

    public static double? PassRate(IReadOnlyList<NamedCount> counts, long messages) =>
        messages == 0 ? null : (double)InboundTally.Of(counts, "pass") / messages;
}
