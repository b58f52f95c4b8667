using System.Xml;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Tests.Analysis;

namespace DmarcAnalyzer.Tests.Charts;

public sealed class ReportOutputTests : IDisposable
{
    private const string Hostile = "<script>alert(1)</script>";
    private static readonly DateTimeOffset Generated = new(2026, 2, 23, 6, 0, 0, TimeSpan.Zero);
    private readonly string _out = Directory.CreateTempSubdirectory("dmarc-report-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private static Task<string> ReadAsync(string path) => File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);

    private static Task<string[]> ReadLinesAsync(string path) => File.ReadAllLinesAsync(path, TestContext.Current.CancellationToken);

    private static async Task<ReportAnalysis> AnalyzeAsync(TestStore store) =>
        await StoreAnalyzerTests.Analyzer(StoreAnalyzerTests.Known(("relays", ["192.0.2.0/24"], [])))
            .AnalyzeAsync(store.Records, ReportPeriod.All, null, TestContext.Current.CancellationToken);

    /// <summary>Parses like a careful consumer: DTDs refused, so an entity could not sneak in either.</summary>
    private static XmlDocument ParseSvg(string svg)
    {
        using var reader = XmlReader.Create(new StringReader(svg), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        var doc = new XmlDocument();
        doc.Load(reader);
        return doc;
    }

    private static XmlNamespaceManager Ns(XmlDocument doc)
    {
        var ns = new XmlNamespaceManager(doc.NameTable);
        ns.AddNamespace("s", "http://www.w3.org/2000/svg");
        return ns;
    }

    [Fact]
    public async Task EveryChartFileIsWellFormedSvgWithTitleAndDescription()
    {
        await using var store = await TestStore.CreateAsync();
        for (var day = 0; day < 21; day++)
        {
            await store.AddReportAsync("example.com", new DateOnly(2026, 2, 2).AddDays(day),
            [
                new("192.0.2.1", 900 + day * 10),
                new("192.0.2.2", 40, DkimEval: "fail", SpfEval: "fail"),
                new("198.51.100.3", 25, DkimEval: "fail", SpfEval: "fail", Reasons: ["forwarded"]),
                new("203.0.113.4", 60, DkimEval: "fail", SpfEval: "fail"),
            ], org: day % 2 == 0 ? "google.com" : "Yahoo");
        }

        var written = await ReportWriter.WriteAsync(await AnalyzeAsync(store), _out, Generated, TestContext.Current.CancellationToken);

        Assert.Equal(4, written.SvgPaths.Count);
        foreach (var path in written.SvgPaths)
        {
            var doc = ParseSvg(await ReadAsync(path));
            Assert.Equal("svg", doc.DocumentElement!.LocalName);
            Assert.Equal("img", doc.DocumentElement.GetAttribute("role"));
            Assert.NotEmpty(doc.SelectSingleNode("/s:svg/s:title", Ns(doc))!.InnerText);
            Assert.NotEmpty(doc.SelectSingleNode("/s:svg/s:desc", Ns(doc))!.InnerText);
            Assert.DoesNotContain("NaN", doc.OuterXml);
        }
        var volume = ParseSvg(await ReadAsync(written.SvgPaths.Single(p => p.EndsWith("example.com-volume.svg", StringComparison.Ordinal))));
        var texts = Texts(volume);
        Assert.Contains("messages per week", texts);
        Assert.Contains("ISO week (UTC)", texts);
        Assert.All(SenderClasses.All, c => Assert.Contains(c.Label(), texts));
        Assert.Contains("2026-W06", texts);
        // Three weeks, four classes each: one column part per class and week in the class's colour, and its legend swatch.
        Assert.Equal(3 + 1, volume.SelectNodes("//s:rect[@fill='#009E73']", Ns(volume))!.Count);
        Assert.Equal(3 + 1, volume.SelectNodes("//s:rect[@fill='#D55E00']", Ns(volume))!.Count);
        var html = await ReadAsync(written.IndexPath);
        Assert.Equal(8, CountOf(html, "data:image/svg+xml;base64,"));
        Assert.Equal(4, CountOf(html, "prefers-color-scheme: dark)\" srcset="));
    }

    [Fact]
    public async Task RatesReachTheCsvTablesToTheDecimal()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", new DateOnly(2026, 2, 16),
        [
            new("192.0.2.1", 600),
            new("192.0.2.2", 200, SpfEval: "fail"),
            new("192.0.2.3", 100, DkimEval: "fail"),
            new("203.0.113.4", 100, DkimEval: "fail", SpfEval: "fail"),
        ], org: "=HYPERLINK(\"http://evil.example\")");

        await ReportWriter.WriteAsync(await AnalyzeAsync(store), _out, Generated, TestContext.Current.CancellationToken);

        var weekly = await ReadLinesAsync(Path.Combine(_out, "weekly.csv"));
        Assert.Equal("domain,week,first_day,messages,dmarc_pass,dmarc_pass_rate,aligned_dkim_pass_rate,aligned_spf_pass_rate,aligned,authorised_failing,forwarded,known_service,unknown_failing", weekly[0]);
        Assert.Equal("example.com,2026-W08,2026-02-16,1000,900,0.9000,0.8000,0.7000,900,0,0,0,100", weekly[1]);
        var results = await ReadAsync(Path.Combine(_out, "results.csv"));
        Assert.Contains("reporter,\"'=HYPERLINK(\"\"http://evil.example\"\")\",1000", results);
    }

    [Fact]
    public async Task ReportStringsAreEscapedInHtmlAndSvg()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync(Hostile, new DateOnly(2026, 2, 16),
        [
            new(Hostile, 10, DkimEval: "fail", SpfEval: "fail", Disposition: Hostile, Reasons: [Hostile]),
            new("192.0.2.1", 90),
        ], org: Hostile + "\u0001\uD800", p: Hostile);

        var written = await ReportWriter.WriteAsync(await AnalyzeAsync(store), _out, Generated, TestContext.Current.CancellationToken);

        var html = await ReadAsync(written.IndexPath);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        foreach (var path in written.SvgPaths)
        {
            var svg = await ReadAsync(path);
            Assert.DoesNotContain("<script", svg, StringComparison.OrdinalIgnoreCase);
            ParseSvg(svg);
        }
        var reporters = ParseSvg(await ReadAsync(written.SvgPaths.Single(p => p.EndsWith("-reporters.svg", StringComparison.Ordinal))));
        Assert.Contains(Texts(reporters), t => t.StartsWith(Hostile, StringComparison.Ordinal));
        Assert.All(written.SvgPaths, p => Assert.Equal(Path.GetFullPath(_out), Path.GetDirectoryName(p)));
    }

    [Fact]
    public async Task AnEmptyStoreGivesAReportThatSaysSo()
    {
        await using var store = await TestStore.CreateAsync();
        var written = await ReportWriter.WriteAsync(await AnalyzeAsync(store), _out, Generated, TestContext.Current.CancellationToken);

        var html = await ReadAsync(written.IndexPath);
        Assert.Contains("No aggregate reports in the store", html);
        Assert.DoesNotContain("NaN", html);
        Assert.Empty(written.SvgPaths);
        Assert.Single(await ReadLinesAsync(Path.Combine(_out, "weekly.csv")));
    }

    [Fact]
    public async Task OneDayOfDataRendersMarkersAndColumns()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", new DateOnly(2026, 2, 16), [new("192.0.2.1", 1)]);

        var written = await ReportWriter.WriteAsync(await AnalyzeAsync(store), _out, Generated, TestContext.Current.CancellationToken);

        var rates = await ReadAsync(written.SvgPaths.Single(p => p.EndsWith("-rates.svg", StringComparison.Ordinal)));
        // One marker per line, each in its line's colour (DMARC, DKIM, SPF).
        Assert.All(["#0072B2", "#B8860B", "#CC79A7"], colour => Assert.Contains($"fill=\"{colour}\"", rates));
        var failing = await ReadAsync(written.SvgPaths.Single(p => p.EndsWith("-failing-senders.svg", StringComparison.Ordinal)));
        Assert.Contains("No sender failed DMARC", failing);
        foreach (var path in written.SvgPaths)
            Assert.DoesNotContain("NaN", await ReadAsync(path));
    }

    private static Chart Rates(params double?[] dmarc) => new("rates", "Weekly pass rates of example.com", "Lines.",
        new RateLines([.. dmarc.Select((_, i) => $"2026-W{i + 6:00}")],
        [
            new("DMARC pass", ChartColour.Dmarc, dmarc), new("aligned DKIM pass", ChartColour.Dkim, dmarc),
            new("aligned SPF pass", ChartColour.Spf, dmarc),
        ], "messages passing (%)", "ISO week (UTC)", "No messages."));

    [Fact]
    public void DashedLinesSurviveInSvg()
    {
        // SkiaSharp's SVG canvas drops dashed strokes; the renderer draws them solid and dashes them afterwards.
        var svg = ParseSvg(ChartRenderer.Svg(Rates(0.5, 0.7, null, 0.9), ChartTheme.Light));
        Assert.NotEmpty(svg.SelectNodes("//s:path[@stroke='#B8860B' and @stroke-dasharray='8 4']", Ns(svg))!.Cast<XmlNode>());
        Assert.NotEmpty(svg.SelectNodes("//s:path[@stroke='#CC79A7' and @stroke-dasharray='2 3']", Ns(svg))!.Cast<XmlNode>());
        Assert.NotEmpty(svg.SelectNodes("//s:path[@stroke='#0072B2' and not(@stroke-dasharray)]", Ns(svg))!.Cast<XmlNode>());
        Assert.DoesNotContain("NaN", svg.OuterXml);
    }

    [Fact]
    public void CoincidingLinesStayVisible()
    {
        // DMARC, aligned DKIM and aligned SPF the same every week: each line is drawn narrower than the one beneath it.
        var svg = ParseSvg(ChartRenderer.Svg(Rates(0.97, 0.99, 1.0), ChartTheme.Light));
        var widths = new[] { "#0072B2", "#B8860B", "#CC79A7" }
            .Select(colour => svg.SelectNodes($"//s:path[@stroke='{colour}' and @fill='none']", Ns(svg))!.Cast<XmlElement>()
                .Max(p => double.Parse(p.GetAttribute("stroke-width"), System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        Assert.True(widths[0] > widths[1] && widths[1] > widths[2], $"line widths {string.Join(", ", widths)}");
        Assert.True(widths[2] >= 1.5, $"the top line is {widths[2]} px wide");
    }

    [Fact]
    public void APassRateAxisIsScaledToTheDataAndSaysWhereItStarts()
    {
        var high = Rates(0.97, 0.99, 1.0);
        var texts = Texts(ParseSvg(ChartRenderer.Svg(high, ChartTheme.Light)));

        Assert.Contains("95%", texts);
        Assert.Contains("100%", texts);
        Assert.DoesNotContain("0%", texts);
        Assert.Contains("messages passing (%), axis from 95%", texts);
        Assert.EndsWith("The rate axis starts at 95%, not 0.", high.AltText);

        var spread = Rates(0.3, 0.7);
        var full = Texts(ParseSvg(ChartRenderer.Svg(spread, ChartTheme.Light)));
        Assert.Contains("0%", full);
        Assert.Contains("messages passing (%)", full);
        Assert.Equal("Lines.", spread.AltText);
    }

    [Theory]
    [InlineData(new[] { 97.0, 99.0, 100.0 }, 95.0, 1.0)]
    [InlineData(new[] { 99.9, 100.0 }, 98.0, 0.5)]
    [InlineData(new[] { 100.0 }, 98.0, 0.5)]
    [InlineData(new[] { 98.0 }, 95.0, 1.0)]
    [InlineData(new[] { 89.0, 99.0 }, 80.0, 5.0)]
    [InlineData(new[] { 60.0 }, 50.0, 10.0)]
    [InlineData(new[] { 40.0, 100.0 }, 0.0, 20.0)]
    [InlineData(new[] { 5.0, 100.0 }, 0.0, 20.0)]
    [InlineData(new double[0], 0.0, 20.0)]
    public void TheRateAxisStartsAsHighAsKeepsEveryPointOffItsFloor(double[] percents, double from, double step)
    {
        var axis = RateAxis.For(percents);

        Assert.Equal(new RateAxis(from, step), axis);
        Assert.Equal(100, axis.Ticks[^1]);
        if (!axis.StartsAtZero)
            Assert.All(percents, p => Assert.True(p >= axis.From + (100 - axis.From) / 10));
    }

    [Fact]
    public void DarkRenderingHasADarkBackgroundAndLightText()
    {
        var light = ChartRenderer.Svg(Rates(0.5, 0.7), ChartTheme.Light);
        var dark = ChartRenderer.Svg(Rates(0.5, 0.7), ChartTheme.Dark);
        Assert.Contains("fill=\"#1D1F21\"", dark, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("fill=\"#E8E8E8\"", dark, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("fill=\"#1D1F21\"", light, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void PngIsDrawnAtTwiceTheDensity()
    {
        var (png, width, height) = ChartRenderer.Png(Rates(0.5, 0.7), 680);
        Assert.Equal(680, width);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        // The IHDR chunk holds the pixel size, big-endian, at offset 16.
        Assert.Equal(2 * width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(2 * height, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public async Task PngFilesAreWrittenWhenAskedFor()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", new DateOnly(2026, 2, 16), [new("192.0.2.1", 10), new("203.0.113.4", 5, DkimEval: "fail", SpfEval: "fail")]);

        var written = await ReportWriter.WriteAsync(await AnalyzeAsync(store), _out, Generated, TestContext.Current.CancellationToken, png: true);

        Assert.Equal(written.SvgPaths.Select(p => Path.ChangeExtension(p, ".png")), written.PngPaths);
        Assert.All(written.PngPaths, p => Assert.True(new FileInfo(p).Length > 1000));
    }

    /// <summary>The text of every SVG text element, trimmed (ScottPlot indents it).</summary>
    private static List<string> Texts(XmlDocument svg) =>
        svg.SelectNodes("//s:text", Ns(svg))!.Cast<XmlNode>().Select(t => t.InnerText.Trim()).ToList();

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
