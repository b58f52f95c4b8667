using System.Text;
using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Charts;

/// <summary>What <see cref="ReportWriter"/> wrote; <see cref="IndexPath"/> is the page to open.</summary>
internal sealed record WrittenReport(string IndexPath, IReadOnlyList<string> SvgPaths, IReadOnlyList<string> CsvPaths, IReadOnlyList<string> PngPaths);

/// <summary>
/// Writes a report folder: index.html (charts inline, light and dark), each chart as an SVG file (light), with
/// <c>png</c> also as a PNG file, and the CSV tables. The charts are drawn on all cores first (<see cref="RenderedChart.OfAll"/>).
/// </summary>
internal static class ReportWriter
{
    public static async Task<WrittenReport> WriteAsync(ReportAnalysis analysis, string folder, DateTimeOffset generated, CancellationToken ct,
        bool png = false)
    {
        Directory.CreateDirectory(folder);
        var slugs = new HashSet<string>(StringComparer.Ordinal);
        var pages = new List<DomainPage>();
        var svgPaths = new List<string>();
        var pngPaths = new List<string>();
        var charting = ReportStages.Start("charts");
        var domains = analysis.Domains.Select(d => (Domain: d, Slug: UniqueSlug(d.Domain, slugs), Charts: DomainCharts.Of(d))).ToList();
        var inbound = analysis.Inbound is { } i ? InboundCharts.Of(i) : [];
        var drawn = RenderedChart.OfAll([.. domains.SelectMany(d => d.Charts), .. inbound], ct);
        async Task<IReadOnlyList<RenderedChart>> WriteChartsAsync(string slug, IReadOnlyList<RenderedChart> charts)
        {
            foreach (var chart in charts)
            {
                var path = Path.Combine(folder, HtmlReport.ChartFile(slug, chart.Chart));
                await File.WriteAllTextAsync(path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + chart.LightSvg + "\n", Utf8, ct);
                svgPaths.Add(path);
                if (png)
                {
                    var pngPath = Path.ChangeExtension(path, ".png");
                    await File.WriteAllBytesAsync(pngPath, ChartRenderer.Png(chart.Chart).Png, ct);
                    pngPaths.Add(pngPath);
                }
            }
            return charts;
        }

        var taken = 0;
        foreach (var (domain, slug, charts) in domains)
        {
            pages.Add(new DomainPage(domain, slug, await WriteChartsAsync(slug, drawn.Skip(taken).Take(charts.Count).ToList())));
            taken += charts.Count;
        }
        var inboundCharts = inbound.Count > 0 ? await WriteChartsAsync(HtmlReport.InboundSlug, drawn.Skip(taken).ToList()) : [];
        charting?.Dispose();
        var tables = ReportStages.Start("CSV");
        var csvPaths = await CsvTables.WriteAsync(analysis, folder, ct);
        tables?.Dispose();
        using var page = ReportStages.Start("index.html");
        var index = Path.Combine(folder, "index.html");
        var html = HtmlReport.Render(analysis, pages, csvPaths.Select(Path.GetFileName).OfType<string>().ToList(), generated, inboundCharts);
        await File.WriteAllTextAsync(index, html, Utf8, ct);
        return new WrittenReport(Path.GetFullPath(index), svgPaths, csvPaths, pngPaths);
    }

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>A file-name-safe stem from a domain (which came from a report): [a-z0-9.-] only, short, unique.</summary>
    private static string UniqueSlug(string domain, HashSet<string> used)
    {
        var chars = domain.ToLowerInvariant().Select(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' ? c : '_').Take(60).ToArray();
        var stem = new string(chars).Trim('.');
        if (stem.Length == 0)
            stem = "domain";
        var slug = stem;
        for (var n = 2; !used.Add(slug); n++)
            slug = $"{stem}-{n}";
        return slug;
    }
}
