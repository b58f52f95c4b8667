using System.Globalization;
using System.Text;
using System.Xml;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// Writes one SVG image through XmlWriter, so every text and attribute is escaped and the result is
/// well-formed XML that also embeds as-is in HTML. The image is labelled for screen readers by its
/// <c>&lt;title&gt;</c> and <c>&lt;desc&gt;</c> (role="img", aria-labelledby), with ids made unique
/// by <paramref name="id"/> so several charts can share one page.
/// </summary>
internal sealed class SvgDocument
{
    private readonly StringBuilder _output = new();
    private readonly XmlWriter _xml;

    public SvgDocument(string id, double width, double height, string title, string description)
    {
        Width = width;
        Height = height;
        _xml = XmlWriter.Create(_output, new XmlWriterSettings { OmitXmlDeclaration = true, Indent = false });
        _xml.WriteStartElement("svg", "http://www.w3.org/2000/svg");
        _xml.WriteAttributeString("width", Number(width));
        _xml.WriteAttributeString("height", Number(height));
        _xml.WriteAttributeString("viewBox", $"0 0 {Number(width)} {Number(height)}");
        _xml.WriteAttributeString("role", "img");
        _xml.WriteAttributeString("aria-labelledby", $"{id}-title {id}-desc");
        _xml.WriteStartElement("title");
        _xml.WriteAttributeString("id", $"{id}-title");
        _xml.WriteString(SafeText.Clean(title, 300));
        _xml.WriteEndElement();
        _xml.WriteStartElement("desc");
        _xml.WriteAttributeString("id", $"{id}-desc");
        _xml.WriteString(SafeText.Clean(description, 4000));
        _xml.WriteEndElement();
        _xml.WriteElementString("style", ChartStyle.SvgCss);
        Rect(0, 0, width, height, "bg");
        Text(16, 26, title, "title");
    }

    public double Width { get; }

    public double Height { get; }

    public void Rect(double x, double y, double width, double height, string cssClass, string? tooltip = null)
    {
        _xml.WriteStartElement("rect");
        _xml.WriteAttributeString("x", Number(x));
        _xml.WriteAttributeString("y", Number(y));
        _xml.WriteAttributeString("width", Number(Math.Max(0, width)));
        _xml.WriteAttributeString("height", Number(Math.Max(0, height)));
        _xml.WriteAttributeString("class", cssClass);
        Tooltip(tooltip);
        _xml.WriteEndElement();
    }

    public void Line(double x1, double y1, double x2, double y2, string cssClass)
    {
        _xml.WriteStartElement("line");
        _xml.WriteAttributeString("x1", Number(x1));
        _xml.WriteAttributeString("y1", Number(y1));
        _xml.WriteAttributeString("x2", Number(x2));
        _xml.WriteAttributeString("y2", Number(y2));
        _xml.WriteAttributeString("class", cssClass);
        _xml.WriteEndElement();
    }

    public void Polyline(IReadOnlyList<(double X, double Y)> points, string cssClass)
    {
        _xml.WriteStartElement("polyline");
        _xml.WriteAttributeString("points", string.Join(' ', points.Select(p => $"{Number(p.X)},{Number(p.Y)}")));
        _xml.WriteAttributeString("class", cssClass);
        _xml.WriteEndElement();
    }

    /// <summary>A point marker: circle, square or triangle by <paramref name="shape"/> (0, 1, 2), told apart without colour.</summary>
    public void Marker(double x, double y, int shape, string cssClass, string? tooltip = null)
    {
        const double r = 4.5;
        switch (shape % 3)
        {
            case 0:
                _xml.WriteStartElement("circle");
                _xml.WriteAttributeString("cx", Number(x));
                _xml.WriteAttributeString("cy", Number(y));
                _xml.WriteAttributeString("r", Number(r));
                break;
            case 1:
                _xml.WriteStartElement("rect");
                _xml.WriteAttributeString("x", Number(x - r));
                _xml.WriteAttributeString("y", Number(y - r));
                _xml.WriteAttributeString("width", Number(2 * r));
                _xml.WriteAttributeString("height", Number(2 * r));
                break;
            default:
                _xml.WriteStartElement("polygon");
                _xml.WriteAttributeString("points", $"{Number(x)},{Number(y - r - 1)} {Number(x + r + 1)},{Number(y + r)} {Number(x - r - 1)},{Number(y + r)}");
                break;
        }
        _xml.WriteAttributeString("class", cssClass);
        Tooltip(tooltip);
        _xml.WriteEndElement();
    }

    public void Text(double x, double y, string text, string? cssClass = null, string anchor = "start", double rotate = 0)
    {
        _xml.WriteStartElement("text");
        _xml.WriteAttributeString("x", Number(x));
        _xml.WriteAttributeString("y", Number(y));
        if (anchor != "start")
            _xml.WriteAttributeString("text-anchor", anchor);
        if (rotate != 0)
            _xml.WriteAttributeString("transform", $"rotate({Number(rotate)} {Number(x)} {Number(y)})");
        if (cssClass is not null)
            _xml.WriteAttributeString("class", cssClass);
        _xml.WriteString(SafeText.Clean(text));
        _xml.WriteEndElement();
    }

    public string Finish()
    {
        _xml.WriteEndElement();
        _xml.Flush();
        _xml.Dispose();
        return _output.ToString();
    }

    private void Tooltip(string? tooltip)
    {
        if (tooltip is not null)
            _xml.WriteElementString("title", SafeText.Clean(tooltip, 300));
    }

    /// <summary>Invariant, at most two decimals, never NaN or infinite (a bad value becomes 0).</summary>
    public static string Number(double value) =>
        double.IsFinite(value) ? Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture) : "0";
}
