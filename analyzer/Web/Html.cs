using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Text;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DmarcAnalyzer.Web;

/// <summary>
/// The page frame (navigation, sign-out, the style sheet) and the helpers every page writes with. Every string from
/// a report, a mail or a user goes through <see cref="E"/>: control characters removed, HTML escaped.
/// </summary>
internal static class Html
{
    public static string E(string? text) => WebUtility.HtmlEncode(SafeText.Clean(text, 1000));

    /// <summary>A path segment or query value, escaped for a URL and then for the attribute it sits in.</summary>
    public static string U(string text) => WebUtility.HtmlEncode(Uri.EscapeDataString(SafeText.Neutralise(text)));

    public static string N(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Day(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    public static bool IsAdmin(HttpContext context) => context.User.IsInRole(UserQueries.RoleText(UserRole.Admin));

    public static bool IsSignedIn(HttpContext context) => context.User.Identity?.IsAuthenticated == true;

    /// <summary>A POST form carrying the anti-forgery token of this user and request.</summary>
    public static string Form(HttpContext context, string action, string inner, string css = "")
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return $"<form method=\"post\" action=\"{E(action)}\"{(css.Length == 0 ? "" : $" class=\"{css}\"")}>" +
               $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">{inner}</form>";
    }

    public static IResult Page(HttpContext context, string title, string body, int status = StatusCodes.Status200OK)
    {
        var html = new StringBuilder(body.Length + 2048);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(E(title)).Append(" · DMARC</title><link rel=\"stylesheet\" href=\"/static/site.css\"></head><body>")
            .Append("<header><nav><a class=\"brand\" href=\"/\">DMARC</a>");
        if (IsSignedIn(context) || context.Request.Path != "/signin")
        {
            html.Append("<a href=\"/\">Overview</a><a href=\"/exceptions\">Exceptions</a><a href=\"/failures\">Failures</a>")
                .Append("<a href=\"/inbound\">Inbound</a><a href=\"/tls\">TLS</a><a href=\"/failure-reports\">Failure reports</a>")
                .Append("<a href=\"/senders\">Known senders</a>");
            if (IsAdmin(context))
                html.Append("<a href=\"/users\">Users</a><a href=\"/audit\">Audit</a>");
            html.Append("<form method=\"get\" action=\"/search\" class=\"search\" role=\"search\">")
                .Append("<input type=\"search\" name=\"q\" placeholder=\"IP, domain, reporter, report id\" aria-label=\"Search\"></form>");
        }
        if (IsSignedIn(context))
            html.Append("<span class=\"who\">").Append(E(context.User.Identity!.Name)).Append(" (")
                .Append(IsAdmin(context) ? "admin" : "viewer").Append(")</span>")
                .Append(Form(context, "/signout", "<button type=\"submit\">Sign out</button>", "signout"));
        else if (context.Request.Path != "/signin")
            html.Append("<a class=\"who\" href=\"/signin\">Sign in</a>");
        html.Append("</nav></header><main><h1>").Append(E(title)).Append("</h1>").Append(body).Append("</main></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    public static IResult NotFound(HttpContext context, string what) =>
        Page(context, "Not found", $"<p>{E(what)}</p>", StatusCodes.Status404NotFound);

    /// <summary>A table with a header row; cells are HTML already.</summary>
    public static string Table(IEnumerable<string> headers, IEnumerable<IEnumerable<string>> rows, string css = "")
    {
        var html = new StringBuilder($"<div class=\"scroll\"><table{(css.Length == 0 ? "" : $" class=\"{css}\"")}><thead><tr>");
        foreach (var h in headers)
            html.Append("<th>").Append(h).Append("</th>");
        html.Append("</tr></thead><tbody>");
        var any = false;
        foreach (var row in rows)
        {
            any = true;
            html.Append("<tr>");
            foreach (var cell in row)
                html.Append("<td>").Append(cell).Append("</td>");
            html.Append("</tr>");
        }
        if (!any)
            html.Append("<tr><td colspan=\"99\" class=\"muted\">none</td></tr>");
        return html.Append("</tbody></table></div>").ToString();
    }

    public static string UserName(ClaimsPrincipal user) => user.Identity?.Name ?? "anonymous";
}
