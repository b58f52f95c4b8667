using System.Globalization;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>
/// The encrypted-archive exception flow: any signed-in user requests an exception for a sender (and optionally one
/// recipient) with a reason; an administrator approves it until a date, or rejects it. Each step is audited, and the
/// milter reads the approved ones from the store.
/// </summary>
internal static partial class ExceptionsPage
{
    public const int MaxReason = 1000;

    public static void Map(WebApplication app)
    {
        app.MapGet("/exceptions", async (HttpContext context, ServeOptions options, CancellationToken ct) =>
            await ListAsync(context, options, null, StatusCodes.Status200OK, ct)).RequireAuthorization(DashboardServer.ReadPolicy);

        app.MapPost("/exceptions", async (HttpContext context, [FromForm] IFormCollection form, ServeOptions options, CancellationToken ct) =>
        {
            var sender = form["sender"].ToString().Trim();
            var recipient = form["recipient"].ToString().Trim();
            var reason = form["reason"].ToString().Trim();
            string? error = !IsPattern(sender) ? "The sender must be an address (name@example.com) or a domain (example.com, or .example.com with its subdomains)."
                : recipient.Length > 0 && !IsPattern(recipient) ? "The recipient must be an address or a domain, or empty for any."
                : reason.Length is 0 or > MaxReason ? $"Give a reason (at most {MaxReason} characters)."
                : null;
            if (error is not null)
                return await ListAsync(context, options, error, StatusCodes.Status400BadRequest, ct);
            await using var store = await context.OpenStoreAsync(ct);
            await store.ArchiveExceptions.RequestAsync(sender, recipient.Length == 0 ? null : recipient, reason,
                UserName(context.User), options.Time.GetUtcNow(), ct);
            return Results.Redirect("/exceptions");
        }).RequireAuthorization();

        app.MapPost("/exceptions/{id:long}/approve", async (long id, HttpContext context, [FromForm] IFormCollection form, ServeOptions options, CancellationToken ct) =>
        {
            var today = DateOnly.FromDateTime(options.Time.GetUtcNow().UtcDateTime);
            if (!DateOnly.TryParseExact(form["expires"].ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var expires)
                || expires < today)
                return await ListAsync(context, options, "An approval needs an expiry date, today or later.", StatusCodes.Status400BadRequest, ct);
            return await DecideAsync(context, options, id, ExceptionState.Approved, expires, ct);
        }).RequireAuthorization(DashboardServer.AdminPolicy);

        app.MapPost("/exceptions/{id:long}/reject", async (long id, HttpContext context, [FromForm] IFormCollection form, ServeOptions options, CancellationToken ct) =>
            await DecideAsync(context, options, id, ExceptionState.Rejected, null, ct)).RequireAuthorization(DashboardServer.AdminPolicy);
    }

    private static async Task<IResult> DecideAsync(HttpContext context, ServeOptions options, long id, ExceptionState decision, DateOnly? expires, CancellationToken ct)
    {
        await using var store = await context.OpenStoreAsync(ct);
        if (!await store.ArchiveExceptions.DecideAsync(id, decision, expires, UserName(context.User), options.Time.GetUtcNow(), ct))
            return await ListAsync(context, options, "That request is not open any more.", StatusCodes.Status409Conflict, ct);
        return Results.Redirect("/exceptions");
    }

    private static async Task<IResult> ListAsync(HttpContext context, ServeOptions options, string? error, int status, CancellationToken ct)
    {
        await using var store = await context.OpenStoreAsync(ct);
        var rows = await store.ArchiveExceptions.ListAsync(ct);
        var admin = IsAdmin(context);
        var today = DateOnly.FromDateTime(options.Time.GetUtcNow().UtcDateTime);
        var body = (error is null ? "" : $"<p class=\"error\" role=\"alert\">{E(error)}</p>") +
            Table(["#", "Sender", "Recipient", "Reason", "Requested", "State", admin ? "Decide" : ""], rows.Select(r => new[]
            {
                r.Id.ToString(CultureInfo.InvariantCulture), E(r.Sender), E(r.Recipient ?? "any"), E(r.Reason),
                $"{E(r.RequestedBy)}, {Time(r.Requested)}", State(r, today),
                admin && r.State == ExceptionState.Requested ? Decide(context, r.Id, today) : "",
            }), "exceptions");
        if (IsSignedIn(context))
            body += "<section><h2>Request an exception</h2>" + Form(context, "/exceptions",
                "<label>Sender (address or domain) <input name=\"sender\" required maxlength=\"254\"></label>" +
                "<label>Recipient (optional) <input name=\"recipient\" maxlength=\"254\"></label>" +
                $"<label>Reason <textarea name=\"reason\" required maxlength=\"{MaxReason}\"></textarea></label>" +
                "<button type=\"submit\">Request</button>", "stack") + "</section>";
        return Page(context, "Encrypted-archive exceptions", body, status);
    }

    private static string Decide(HttpContext context, long id, DateOnly today) =>
        Form(context, $"/exceptions/{id}/approve",
            $"<label>until <input type=\"date\" name=\"expires\" required min=\"{today:yyyy-MM-dd}\" value=\"{today.AddDays(90):yyyy-MM-dd}\"></label>" +
            "<button type=\"submit\">Approve</button>", "inline") +
        Form(context, $"/exceptions/{id}/reject", "<button type=\"submit\" class=\"danger\">Reject</button>", "inline");

    private static string State(ArchiveExceptionRow r, DateOnly today) => r.State switch
    {
        ExceptionState.Approved when r.Expires is { } e && e < today => $"expired {e:yyyy-MM-dd} (approved by {E(r.DecidedBy)})",
        ExceptionState.Approved => $"<span class=\"badge v-ready\">approved</span> until {r.Expires:yyyy-MM-dd} by {E(r.DecidedBy)}",
        ExceptionState.Rejected => $"<span class=\"badge v-not\">rejected</span> by {E(r.DecidedBy)}",
        _ => "<span class=\"badge v-nearly\">requested</span>",
    };

    private static bool IsPattern(string text) => text.Length is > 0 and <= 254 && Pattern().IsMatch(text);

    [GeneratedRegex(@"^(?:[^\s@<>""()\[\]\\,;:]+@)?\.?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")]
    private static partial Regex Pattern();
}
