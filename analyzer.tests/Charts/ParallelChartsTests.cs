using System.Globalization;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Tests.Analysis;

namespace DmarcAnalyzer.Tests.Charts;

/// <summary>
/// Charts drawn on all cores: the same SVGs as drawn one after another, their clip path ids (one process-wide counter in
/// SkiaSharp) put back in output order whatever the threads' interleaving.
/// Alone in its collection: a chart another test drew meanwhile would take numbers of the one-after-another run.
/// </summary>
[Collection(nameof(ChartsAlone))]
public sealed partial class ParallelChartsTests
{
    [GeneratedRegex("cl_([0-9a-f]+)")]
    private static partial Regex ClipId();

    [Fact]
    public void IdsAreRenumberedInOutputOrderAndTextIsLeftAlone()
    {
        // As two threads might leave them: the first SVG drew its clip paths 5 and 8, the second 6, 7 and 9.
        string[] drawn =
        [
            """<svg><clipPath id="cl_5"/><g clip-path="url(#cl_5)"/><clipPath id="cl_8"/><g clip-path="url(#cl_8)"/><text>see id="cl_8" url(#cl_5)</text></svg>""",
            """<svg><clipPath id="cl_6"/><clipPath id="cl_7"/><clipPath id="cl_9"/><g clip-path="url(#cl_9)"/></svg>""",
            "<svg><text>no clips</text></svg>",
        ];

        var numbered = ClipPathIds.Renumber(drawn);

        Assert.Equal(
        [
            """<svg><clipPath id="cl_5"/><g clip-path="url(#cl_5)"/><clipPath id="cl_6"/><g clip-path="url(#cl_6)"/><text>see id="cl_8" url(#cl_5)</text></svg>""",
            """<svg><clipPath id="cl_7"/><clipPath id="cl_8"/><clipPath id="cl_9"/><g clip-path="url(#cl_9)"/></svg>""",
            "<svg><text>no clips</text></svg>",
        ], numbered);
        string[] noClips = [drawn[2]];
        Assert.Same(noClips, ClipPathIds.Renumber(noClips));
    }

    [Fact]
    public async Task ChartsDrawnSideBySideAreTheSvgsOfOneAfterAnother()
    {
        await using var store = await TestStore.CreateAsync();
        foreach (var domain in new[] { "example.com", "example.org", "example.net" })
        {
            for (var day = 0; day < 15; day++)
            {
                await store.AddReportAsync(domain, new DateOnly(2026, 2, 2).AddDays(day),
                [
                    new("192.0.2.1", 900 + day * 10),
                    new("192.0.2.2", 40 + day, DkimEval: "fail", SpfEval: "fail"),
                    new("198.51.100.3", 25, DkimEval: "fail", SpfEval: "fail", Reasons: ["forwarded"]),
                    new("203.0.113.4", 60, DkimEval: "fail", SpfEval: "pass"),
                ], org: day % 3 == 0 ? "google.com" : "Yahoo");
            }
        }
        var analysis = await StoreAnalyzerTests.Analyzer(StoreAnalyzerTests.Known(("relays", ["192.0.2.0/24"], [])))
            .AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);
        var charts = analysis.Domains.SelectMany(DomainCharts.Of).ToList();
        Assert.True(charts.Count >= 12);

        var serial = Svgs(charts.Select(RenderedChart.Of).ToList());
        var parallel = Svgs(RenderedChart.OfAll(charts, TestContext.Current.CancellationToken));
        var again = Svgs(RenderedChart.OfAll(charts, TestContext.Current.CancellationToken));

        // The counter moves on between batches of one process: each batch's ids are taken from its lowest.
        Assert.Equal(FromZero(serial), FromZero(parallel));
        Assert.Equal(FromZero(parallel), FromZero(again));
        Assert.Equal(serial.Count(s => s.Contains("clip-path", StringComparison.Ordinal)), parallel.Count(s => s.Contains("clip-path", StringComparison.Ordinal)));
    }

    private static List<string> Svgs(IReadOnlyList<RenderedChart> charts) => charts.SelectMany(c => new[] { c.LightSvg, c.DarkSvg }).ToList();

    private static List<string> FromZero(List<string> svgs)
    {
        var lowest = svgs.SelectMany(s => ClipId().Matches(s)).Min(m => Number(m.Groups[1].Value));
        return svgs.Select(s => ClipId().Replace(s, m => "cl_" + (Number(m.Groups[1].Value) - lowest).ToString("x", CultureInfo.InvariantCulture))).ToList();
    }

    private static long Number(string hex) => long.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
}

[CollectionDefinition(nameof(ChartsAlone), DisableParallelization = true)]
public sealed class ChartsAlone;
