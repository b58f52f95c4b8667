using System.Text;
using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Charts;

/// <summary>What <see cref="ReportWriter"/> wrote; <see cref="IndexPath"/> is the page to open.</summary>
internal sealed record WrittenReport(string IndexPath, IReadOnlyList<string> SvgPaths, IReadOnlyList<string> CsvPaths, IReadOnlyList<string> PngPaths);

/// <summary>
/// Writes a report folder: index.html (charts inline, light and dark), each chart as an SVG file (light), with
/// <c>png</c> also as a PNG file, and the CSV tables.
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
        async Task<IReadOnlyList<RenderedChart>> WriteChartsAsync(string slug, IReadOnlyList<Chart> charts)
        {
            var rendered = new List<RenderedChart>();
            foreach (var chart in charts)
            {
                var drawn = RenderedChart.Of(chart);
                var path = Path.Combine(folder, HtmlReport.ChartFile(slug, chart));
                await File.WriteAllTextAsync(path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + drawn.LightSvg + "\n", Utf8, ct);
                svgPaths.Add(path);
                if (png)
                {
                    var pngPath = Path.ChangeExtension(path, ".png");
                    await File.WriteAllBytesAsync(pngPath, ChartRenderer.Png(chart).Png, ct);
                    pngPaths.Add(pngPath);
                }
                rendered.Add(drawn);
            }
            return rendered;
        }

        var charting = ReportStages.Start("charts");
        foreach (var domain in analysis.Domains)
        {
            var slug = UniqueSlug(domain.Domain, slugs);
            pages.Add(new DomainPage(domain, slug, await WriteChartsAsync(slug, DomainCharts.Of(domain))));
        }
        var inboundCharts = analysis.Inbound is { } inbound ? await WriteChartsAsync(HtmlReport.InboundSlug, InboundCharts.Of(inbound)) : [];
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
