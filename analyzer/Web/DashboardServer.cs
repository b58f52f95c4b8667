using System.Net;
using System.Security.Claims;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Web;

/// <summary>
/// <c>dmarc serve</c>: Kestrel with cookie sign-in, anti-forgery on every form, forwarded headers from the configured
/// proxies only, and the pages. Every page opens the store for its request (a connection from the server's one pool on PostgreSQL, <see cref="StoreSource"/>), so what other processes write is seen.
/// </summary>
internal static class DashboardServer
{
    public const string ReadPolicy = "read";
    public const string AdminPolicy = "admin";

    /// <summary>A signed-in user even when <see cref="ServeOptions.AllowAnonymousRead"/> opens the pages (raw bytes of strangers' mail).</summary>
    public const string SignedInPolicy = "signed-in";
    private const string PeerItem = "dmarc.peer";

    public static WebApplication Build(ServeOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Host.UseSystemd();
        builder.WebHost.UseUrls(options.Listen);
        builder.Services.AddSingleton(options);
        // Made by the container, which disposes it (and so closes the PostgreSQL pool) when the server stops.
        builder.Services.AddSingleton(_ => new StoreSource(options.Database));
        builder.Services.AddSingleton<SignInGuard>();
        builder.Services.AddSingleton<AnalysisCache>();
        builder.Services.AddDataProtection()
            .SetApplicationName("DmarcAnalyzer")
            .PersistKeysToFileSystem(new DirectoryInfo(options.KeysFolder
                ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.Database))!, "dmarc-keys")));
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(cookie =>
        {
            cookie.Cookie.Name = "dmarc.auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = options.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            cookie.LoginPath = "/signin";
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
            cookie.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
            // The store has the last word at every request: a user removed, disabled, given another role or a new
            // password since the cookie was issued is signed out (Session).
            cookie.Events.OnValidatePrincipal = async context =>
            {
                await using var store = await context.HttpContext.OpenStoreAsync(context.HttpContext.RequestAborted);
                var user = await store.Users.CredentialsAsync(context.Principal?.Identity?.Name ?? "", context.HttpContext.RequestAborted);
                if (!Session.Holds(context.Principal!, user, options.Time.GetUtcNow()))
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                }
            };
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ReadPolicy, policy =>
            {
                if (options.AllowAnonymousRead)
                    policy.RequireAssertion(_ => true);
                else
                    policy.RequireAuthenticatedUser();
            })
            .AddPolicy(SignedInPolicy, policy => policy.RequireAuthenticatedUser())
            .AddPolicy(AdminPolicy, policy => policy.RequireRole(UserQueries.RoleText(UserRole.Admin)));
        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "dmarc.csrf";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            // Not Serve:SecureCookies: antiforgery refuses to work over plain HTTP with an always-Secure cookie, and this
            // cookie alone grants nothing (its token is bound to the signed-in user).
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.HeaderName = "X-CSRF-TOKEN";
        });
        builder.Services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // The defaults trust loopback; only the configured proxies are believed.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in options.KnownProxies)
                forwarded.KnownProxies.Add(proxy);
        });

        var app = builder.Build();
        // The default overview (every day stored) computed before anyone asks, so its first visitor does not wait.
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<AnalysisCache>().Warm(ReportPeriod.All, null));
        var forwardedWarnings = new ForwardedHeaderWarnings(options, app.Services.GetRequiredService<ILogger<ForwardedHeaderWarnings>>());
        app.Use((context, next) =>
        {
            ServerTiming.Start(context);
            context.Items[PeerItem] = context.Connection.RemoteIpAddress;
            forwardedWarnings.Check(context);
            return next(context);
        });
        // With no proxy listed the middleware would believe every peer: it runs only when some are.
        if (options.KnownProxies.Count > 0)
            app.UseForwardedHeaders();
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
                                            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            return next(context);
        });
        app.UseAuthentication();
        if (options.ProxyUserHeader is { } header)
            app.Use(async (context, next) =>
            {
                if (!Html.IsSignedIn(context) && context.Items[PeerItem] is IPAddress peer && options.IsKnownProxy(peer)
                    && context.Request.Headers[header].ToString() is { Length: > 0 } name)
                {
                    await using var store = await context.OpenStoreAsync(context.RequestAborted);
                    if (await store.Users.FindAsync(name, context.RequestAborted) is { } user)
                        context.User = ProxyPrincipal(user);
                }
                await next(context);
            });
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapGet("/static/site.css", () => Results.Stream(
            typeof(DashboardServer).Assembly.GetManifestResourceStream("site.css")!, "text/css; charset=utf-8"));
        SignInPages.Map(app);
        OverviewPage.Map(app);
        DomainPage.Map(app);
        SourcePage.Map(app);
        SearchPage.Map(app);
        ReportPage.Map(app);
        FailuresPage.Map(app);
        InboundPage.Map(app);
        ExceptionsPage.Map(app);
        AuditPage.Map(app);
        TlsPage.Map(app);
        FailureReportsPage.Map(app);
        KnownSendersPage.Map(app);
        UsersPage.Map(app);
        return app;
    }

    /// <summary>The addresses the server listens on once started (port 0 resolved to the port taken).</summary>
    public static IReadOnlyCollection<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();

    /// <summary>A user the proxy vouches for, for this request only: no cookie, the store read again at the next.</summary>
    private static ClaimsPrincipal ProxyPrincipal(UserRow user) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, UserQueries.RoleText(user.Role))], "proxy"));
}
