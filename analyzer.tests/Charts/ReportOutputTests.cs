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
    public async Task Every_chart_file_is_well_formed_svg_with_title_and_description()
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
        Assert.Equal(3 * 4, volume.SelectNodes("//s:rect[@class='k-aligned' or @class='k-authorised' or @class='k-forwarded' or @class='k-unknown']", Ns(volume))!.Count - 4);
        Assert.Contains("messages per week", volume.OuterXml);
    }

    [Fact]
    public async Task Rates_reach_the_csv_tables_to_the_decimal()
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
        Assert.Equal("domain,week,first_day,messages,dmarc_pass,dmarc_pass_rate,aligned_dkim_pass_rate,aligned_spf_pass_rate,aligned,authorised_failing,forwarded,unknown_failing", weekly[0]);
        Assert.Equal("example.com,2026-W08,2026-02-16,1000,900,0.9000,0.8000,0.7000,900,0,0,100", weekly[1]);
        var results = await ReadAsync(Path.Combine(_out, "results.csv"));
        Assert.Contains("reporter,\"'=HYPERLINK(\"\"http://evil.example\"\")\",1000", results);
    }

    [Fact]
    public async Task Report_strings_are_escaped_in_html_and_svg()
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
        Assert.Contains(reporters.SelectNodes("//s:text", Ns(reporters))!.Cast<XmlNode>(), t => t.InnerText.StartsWith(Hostile, StringComparison.Ordinal));
        Assert.All(written.SvgPaths, p => Assert.Equal(Path.GetFullPath(_out), Path.GetDirectoryName(p)));
    }

    [Fact]
    public async Task An_empty_store_gives_a_report_that_says_so()
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
    public async Task One_day_of_data_renders_markers_and_columns()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", new DateOnly(2026, 2, 16), [new("192.0.2.1", 1)]);

        var written = await ReportWriter.WriteAsync(await AnalyzeAsync(store), _out, Generated, TestContext.Current.CancellationToken);

        var rates = ParseSvg(await ReadAsync(written.SvgPaths.Single(p => p.EndsWith("-rates.svg", StringComparison.Ordinal))));
        Assert.Equal(3, rates.SelectNodes("//s:*[@class='m-dmarc' or @class='m-dkim' or @class='m-spf']", Ns(rates))!.Count);
        var failing = await ReadAsync(written.SvgPaths.Single(p => p.EndsWith("-failing-senders.svg", StringComparison.Ordinal)));
        Assert.Contains("No sender failed DMARC", failing);
        foreach (var path in written.SvgPaths)
            Assert.DoesNotContain("NaN", await ReadAsync(path));
    }

    [Fact]
    public void Nice_scales_are_round()
    {
        Assert.Equal((1000, 200), ChartLayout.NiceScale(930));
        Assert.Equal((5, 1), ChartLayout.NiceScale(4.2));
        Assert.Equal((1, 1), ChartLayout.NiceScale(0));
        Assert.Equal((1, 1), ChartLayout.NiceScale(double.NaN));
    }
}
