using System.Xml;
using System.Xml.Linq;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// Finishes ScottPlot's SVG for readers and pages: a viewBox so it scales, <c>role="img"</c> with a
/// <c>&lt;title&gt;</c> and <c>&lt;desc&gt;</c> for screen readers, fonts that fall back when DejaVu Sans is missing, and
/// the dashes of lines (by their stroke colour) that SkiaSharp's SVG canvas cannot write.
/// </summary>
internal static class AccessibleSvg
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private const string FontFamily = "'DejaVu Sans', Verdana, sans-serif";

    public static string Label(string svg, string title, string description, IReadOnlyDictionary<string, string> dashesByStroke)
    {
        using var reader = XmlReader.Create(new StringReader(svg), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        var root = XDocument.Load(reader).Root ?? throw new InvalidOperationException("ScottPlot wrote an empty SVG");
        root.SetAttributeValue("viewBox", $"0 0 {root.Attribute("width")?.Value} {root.Attribute("height")?.Value}");
        root.SetAttributeValue("role", "img");
        root.SetAttributeValue("aria-labelledby", "chart-title chart-desc");
        root.AddFirst(
            new XElement(Svg + "title", new XAttribute("id", "chart-title"), SafeText.Clean(title, 300)),
            new XElement(Svg + "desc", new XAttribute("id", "chart-desc"), SafeText.Clean(description, 4000)));
        foreach (var font in root.Descendants().Attributes("font-family"))
            font.Value = FontFamily;
        foreach (var line in root.Descendants(Svg + "path"))
        {
            if ((string?)line.Attribute("fill") == "none" && line.Attribute("stroke")?.Value is { } stroke && dashesByStroke.TryGetValue(stroke, out var dash))
                line.SetAttributeValue("stroke-dasharray", dash);
        }
        return root.ToString(SaveOptions.DisableFormatting);
    }
}
