using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace DmarcAnalyzer.Web;

/// <summary>Sign in with a local user (lockout in <see cref="SignInGuard"/>), and sign out.</summary>
internal static class SignInPages
{
    private const string BusyRetrySeconds = "5";

    public static void Map(WebApplication app)
    {
        app.MapGet("/signin", (HttpContext context, string? returnUrl) => Form(context, returnUrl, null, StatusCodes.Status200OK));

        app.MapPost("/signin", async (HttpContext context, [FromForm] IFormCollection form, ServeOptions options, SignInGuard guard, CancellationToken ct) =>
        {
            var name = form["name"].ToString().Trim();
            var password = form["password"].ToString();
            var returnUrl = form["returnUrl"].ToString();
            if (name.Length is 0 or > 200 || password.Length is 0 or > PasswordHash.MaxLength)
                return Form(context, returnUrl, "Give a user name and a password.", StatusCodes.Status400BadRequest);
            await using var store = await context.OpenStoreAsync(ct);
            var (outcome, user) = await guard.TryAsync(store.Users, name, password, ct);
            switch (outcome)
            {
                case SignInOutcome.SignedIn:
                    await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, Session.Principal(user!, options.Time.GetUtcNow()));
                    return Results.Redirect(IsLocal(returnUrl) ? returnUrl : "/");
                case SignInOutcome.LockedOut:
                    return Form(context, returnUrl,
                        $"Too many failed sign-ins: this account is locked for {SignInGuard.LockTime.TotalMinutes:0} minutes.", StatusCodes.Status401Unauthorized);
                case SignInOutcome.Busy:
                    context.Response.Headers.RetryAfter = BusyRetrySeconds;
                    return Form(context, returnUrl, "The server is busy checking other sign-ins; try again in a few seconds.", StatusCodes.Status503ServiceUnavailable);
                default:
                    return Form(context, returnUrl, "Wrong user name or password.", StatusCodes.Status401Unauthorized);
            }
        });

        app.MapPost("/signout", async (HttpContext context, [FromForm] IFormCollection form) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/signin");
        });
    }

    private static IResult Form(HttpContext context, string? returnUrl, string? error, int status) =>
        Html.Page(context, "Sign in",
            (error is null ? "" : $"<p class=\"error\" role=\"alert\">{Html.E(error)}</p>") +
            Html.Form(context, "/signin",
                "<label>User <input name=\"name\" autocomplete=\"username\" required autofocus></label>" +
                "<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>" +
                $"<input type=\"hidden\" name=\"returnUrl\" value=\"{Html.E(IsLocal(returnUrl) ? returnUrl : "/")}\">" +
                "<button type=\"submit\">Sign in</button>", "stack"),
            status);

    /// <summary>Only a path on this site: no scheme, no "//host", no backslash tricks (open redirects).</summary>
    private static bool IsLocal(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Contains('\\')
        && !url.Any(char.IsControl);
}
