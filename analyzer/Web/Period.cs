using System.Globalization;
using DmarcAnalyzer.Analysis;
using Microsoft.AspNetCore.Http;

namespace DmarcAnalyzer.Web;

/// <summary>The date range of a page, from its URL (<c>?from=YYYY-MM-DD&amp;to=YYYY-MM-DD</c>); open ends mean all data.</summary>
internal static class Period
{
    public static ReportPeriod Of(HttpRequest request)
    {
        var from = Day(request.Query["from"]);
        var to = Day(request.Query["to"]);
        return from is { } f && to is { } t && f > t ? new ReportPeriod(t, f) : new ReportPeriod(from, to);
    }

    /// <summary>The range as a query string to carry into links, empty when open.</summary>
    public static string Query(ReportPeriod period)
    {
        var parts = new List<string>();
        if (period.From is { } f)
            parts.Add("from=" + f.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (period.To is { } t)
            parts.Add("to=" + t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        return parts.Count == 0 ? "" : "?" + string.Join("&amp;", parts);
    }

    /// <summary>The range picker: a GET form, so the range lands in the URL and the page stays linkable.</summary>
    /// <param name="domain">A domain filter the page carries through the form, when it has one.</param>
    public static string Picker(ReportPeriod period, string action, string? domain = null) =>
        $"<form method=\"get\" action=\"{Html.E(action)}\" class=\"period\">" +
        (domain is null ? "" : $"<input type=\"hidden\" name=\"domain\" value=\"{Html.E(domain)}\">") +
        $"<label>From <input type=\"date\" name=\"from\" value=\"{Text(period.From)}\"></label>" +
        $"<label>To <input type=\"date\" name=\"to\" value=\"{Text(period.To)}\"></label>" +
        "<button type=\"submit\">Show</button></form>";

    private static string Text(DateOnly? day) => day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "";

    private static DateOnly? Day(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
}
