using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>
/// User management, for administrators: add a user, change a role, disable or enable, reset a password. Every change
/// is audited; no change may leave the store without an enabled administrator; password hashes are never shown.
/// A disabled user cannot sign in, and one signed in is signed out at the next request.
/// </summary>
internal static class UsersPage
{
    public const int MaxName = 200;

    public static void Map(WebApplication app)
    {
        app.MapGet("/users", async (HttpContext context, ServeOptions options, CancellationToken ct) =>
            await ListAsync(context, options, null, StatusCodes.Status200OK, ct)).RequireAuthorization(DashboardServer.AdminPolicy);

        app.MapPost("/users", async (HttpContext context, [FromForm] IFormCollection form, ServeOptions options, CancellationToken ct) =>
        {
            var name = form["name"].ToString().Trim();
            if (name.Length is 0 or > MaxName || name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
                return await ListAsync(context, options, $"A user name has 1 to {MaxName} characters and no spaces.", StatusCodes.Status400BadRequest, ct);
            if (Role(form["role"].ToString()) is not { } role)
                return await ListAsync(context, options, "The role is viewer or admin.", StatusCodes.Status400BadRequest, ct);
            if (PasswordError(form["password"].ToString()) is { } error)
                return await ListAsync(context, options, error, StatusCodes.Status400BadRequest, ct);
            await using var store = await context.OpenStoreAsync(ct);
            var outcome = await store.UserAdmin.AddAsync(name, role, PasswordHash.Hash(form["password"].ToString()), UserName(context.User), options.Time.GetUtcNow(), ct);
            return await OutcomeAsync(context, options, outcome, name, ct);
        }).RequireAuthorization(DashboardServer.AdminPolicy);

        app.MapPost("/users/role", async (HttpContext context, [FromForm] IFormCollection form, ServeOptions options, CancellationToken ct) =>
        {
            var name = form["name"].ToString();
            if (Role(form["role"].ToString()) is not { } role)
                return await ListAsync(context, options, "The role is viewer or admin.", StatusCodes.Status400BadRequest, ct);
            await using var store = await context.OpenStoreAsync(ct);
            return await OutcomeAsync(context, options,
                await store.UserAdmin.SetRoleAsync(name, role, UserName(context.User), options.Time.GetUtcNow(), ct), name, ct);
        }).RequireAuthorization(DashboardServer.AdminPolicy);

        foreach (var (path, disable) in new[] { ("disable", true), ("enable", false) })
            app.MapPost($"/users/{path}", async (HttpContext context, [FromForm] IFormCollection form, ServeOptions options, CancellationToken ct) =>
            {
                var name = form["name"].ToString();
                await using var store = await context.OpenStoreAsync(ct);
                return await OutcomeAsync(context, options,
                    await store.UserAdmin.SetDisabledAsync(name, disable, UserName(context.User), options.Time.GetUtcNow(), ct), name, ct);
            }).RequireAuthorization(DashboardServer.AdminPolicy);

        app.MapPost("/users/password", async (HttpContext context, [FromForm] IFormCollection form, ServeOptions options, CancellationToken ct) =>
        {
            var name = form["name"].ToString();
            var password = form["password"].ToString();
            if (PasswordError(password) is { } error)
                return await ListAsync(context, options, error, StatusCodes.Status400BadRequest, ct);
            await using var store = await context.OpenStoreAsync(ct);
            return await OutcomeAsync(context, options,
                await store.UserAdmin.SetPasswordAsync(name, PasswordHash.Hash(password), UserName(context.User), options.Time.GetUtcNow(), ct), name, ct);
        }).RequireAuthorization(DashboardServer.AdminPolicy);
    }

    private static async Task<IResult> OutcomeAsync(HttpContext context, ServeOptions options, UserChange outcome, string name, CancellationToken ct) => outcome switch
    {
        UserChange.Done => Results.Redirect("/users"),
        UserChange.NoSuchUser => await ListAsync(context, options, $"There is no user {name}.", StatusCodes.Status404NotFound, ct),
        UserChange.AlreadyExists => await ListAsync(context, options, $"There is a user {name} already.", StatusCodes.Status409Conflict, ct),
        _ => await ListAsync(context, options, "Refused: that would leave no enabled administrator.", StatusCodes.Status409Conflict, ct),
    };

    private static UserRole? Role(string text) => text switch
    {
        "admin" => UserRole.Admin,
        "viewer" => UserRole.Viewer,
        _ => null,
    };

    private static string? PasswordError(string password) =>
        password.Length < PasswordHash.MinLength || password.Length > PasswordHash.MaxLength
            ? $"A password has {PasswordHash.MinLength} to {PasswordHash.MaxLength} characters."
            : null;

    private static async Task<IResult> ListAsync(HttpContext context, ServeOptions options, string? error, int status, CancellationToken ct)
    {
        await using var store = await context.OpenStoreAsync(ct);
        var users = await store.UserAdmin.ListAsync(ct);
        var body = (error is null ? "" : $"<p class=\"error\" role=\"alert\">{E(error)}</p>") +
            Table(["User", "Role", "Added (UTC)", "State", "Change role", "Enable or disable", "Reset password"], users.Select(u =>
            {
                var who = $"<input type=\"hidden\" name=\"name\" value=\"{E(u.Name)}\">";
                return new[]
                {
                    E(u.Name), UserQueries.RoleText(u.Role), Time(u.Created),
                    u.Disabled is { } d ? $"<span class=\"badge v-not\">disabled</span> {Time(d)}" : "<span class=\"badge v-ready\">enabled</span>",
                    Form(context, "/users/role",
                        who + $"<select name=\"role\" aria-label=\"Role of {E(u.Name)}\">{Option("viewer", u.Role)}{Option("admin", u.Role)}</select>" +
                        "<button type=\"submit\">Set</button>", "inline"),
                    u.Disabled is null
                        ? Form(context, "/users/disable", who + "<button type=\"submit\" class=\"danger\">Disable</button>", "inline")
                        : Form(context, "/users/enable", who + "<button type=\"submit\">Enable</button>", "inline"),
                    Form(context, "/users/password",
                        who + $"<input type=\"password\" name=\"password\" required minlength=\"{PasswordHash.MinLength}\" autocomplete=\"new-password\" aria-label=\"New password for {E(u.Name)}\">" +
                        "<button type=\"submit\">Reset</button>", "inline"),
                };
            })) +
            "<section><h2>Add a user</h2>" + Form(context, "/users",
                $"<label>User <input name=\"name\" required maxlength=\"{MaxName}\" autocomplete=\"off\"></label>" +
                $"<label>Role <select name=\"role\">{Option("viewer", UserRole.Viewer)}{Option("admin", UserRole.Viewer)}</select></label>" +
                $"<label>Password <input type=\"password\" name=\"password\" required minlength=\"{PasswordHash.MinLength}\" autocomplete=\"new-password\"></label>" +
                "<button type=\"submit\">Add</button>", "stack") + "</section>";
        return Page(context, "Users", body, status);
    }

    private static string Option(string role, UserRole current) =>
        $"<option value=\"{role}\"{(UserQueries.RoleText(current) == role ? " selected" : "")}>{role}</option>";
}
