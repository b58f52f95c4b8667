using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Tests.Web;

/// <summary>The sign-in cookie's Secure flag behind a TLS-terminating proxy: from a listed proxy's X-Forwarded-Proto only, forced when configured, and a log line when the set-up leaves it off.</summary>
public sealed class DashboardProxyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Keeps the warnings the server logs about forwarded headers.</summary>
    private sealed class Warnings : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) =>
            categoryName.EndsWith(".ForwardedHeaderWarnings", StringComparison.Ordinal) ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                Lines.Enqueue(formatter(state, exception));
        }

        public void Dispose()
        {
        }
    }

    private static Warnings Listen(DashboardHarness server)
    {
        var warnings = new Warnings();
        server.App.Services.GetRequiredService<ILoggerFactory>().AddProvider(warnings);
        return warnings;
    }

    private static async Task GetAsync(DashboardHarness server, Dictionary<string, string> headers)
    {
        using var client = server.Client();
        foreach (var (name, value) in headers)
            client.DefaultRequestHeaders.Add(name, value);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/signin", Ct)).StatusCode);
    }

    [Fact]
    public async Task CookiesAreSecureOverPlainHttpWhenConfigured()
    {
        await using var server = await DashboardHarness.StartAsync(o => o with { SecureCookies = true });
        Assert.Contains("; secure", await DashboardTests.AuthCookieAsync(server, []), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AForwardingPeerLeftOffTheListIsNamedInTheLogOnce()
    {
        await using var server = await DashboardHarness.StartAsync();
        var warnings = Listen(server);
        await GetAsync(server, []);
        Assert.Empty(warnings.Lines);
        await GetAsync(server, new() { ["X-Forwarded-Proto"] = "https" });
        await GetAsync(server, new() { ["X-Forwarded-For"] = "203.0.113.9" });
        var line = Assert.Single(warnings.Lines);
        Assert.Contains("127.0.0.1", line);
        Assert.Contains("Serve:KnownProxies", line);
    }

    [Fact]
    public async Task AListedProxyThatSendsNoProtoIsNamedInTheLog()
    {
        await using var server = await DashboardHarness.StartAsync(o => o with { KnownProxies = [IPAddress.Loopback] });
        var warnings = Listen(server);
        await GetAsync(server, new() { ["X-Forwarded-Proto"] = "https" });
        Assert.Empty(warnings.Lines);
        await GetAsync(server, new() { ["X-Forwarded-For"] = "203.0.113.9" });
        var line = Assert.Single(warnings.Lines);
        Assert.Contains("X-Forwarded-Proto", line);
        Assert.Contains("Serve:SecureCookies", line);
    }

    [Fact]
    public async Task NothingIsLoggedWhenCookiesAreAlwaysSecure()
    {
        await using var server = await DashboardHarness.StartAsync(o => o with { KnownProxies = [IPAddress.Loopback], SecureCookies = true });
        var warnings = Listen(server);
        await GetAsync(server, []);
        Assert.Empty(warnings.Lines);
    }
}
