using System.Globalization;
using System.Text;

namespace DmarcAnalyzer.Charts;

/// <summary>The table and card markup the TLS and failure-report sections share; cells arrive already escaped.</summary>
internal static class HtmlTable
{
    public static void Append(StringBuilder html, string caption, string[] headers, IEnumerable<string[]> rows, bool[] numeric)
    {
        html.Append($"<table>\n<caption>{HtmlReport.E(caption)}</caption>\n<thead><tr>");
        for (var i = 0; i < headers.Length; i++)
            html.Append($"<th scope=\"col\"{(numeric[i] ? " class=\"num\"" : "")}>{HtmlReport.E(headers[i])}</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            for (var i = 0; i < row.Length; i++)
                html.Append($"<td{(numeric[i] ? " class=\"num\"" : "")}>{row[i]}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
    }

    public static void Card(StringBuilder html, string label, string escapedValue) =>
        html.Append($"<div class=\"card\"><span class=\"label\">{HtmlReport.E(label)}</span><span class=\"value\">{escapedValue}</span></div>\n");

    public static string Count(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);
}
