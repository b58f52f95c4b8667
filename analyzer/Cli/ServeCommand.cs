using System.CommandLine;
using System.Net;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc serve [--listen URL] [--db FILE]</c>: the web dashboard. The <c>Serve</c> section of the configuration
/// holds AllowAnonymousRead, KnownProxies, ProxyUserHeader and KeysFolder.
/// </summary>
internal static class ServeCommand
{
    public const string DefaultListen = "http://127.0.0.1:8080";

    public static Command Create()
    {
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        settings.Bind(new Option<string?>("--listen") { Description = $"Address to listen on (default: Serve:Listen, else {DefaultListen})" }, "Serve:Listen");
        var command = new Command("serve", "Run the web dashboard over the store");
        settings.AddTo(command);
        command.SetAction(async (ParseResult result, CancellationToken ct) =>
        {
            var configuration = settings.Load(result);
            var app = DashboardServer.Build(Options(configuration, AppConfiguration.DatabasePath(configuration)));
            await app.StartAsync(ct);
            foreach (var address in DashboardServer.Addresses(app))
                Console.WriteLine($"serving on {address}");
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static ServeOptions Options(IConfiguration configuration, string database)
    {
        var serve = configuration.GetSection("Serve");
        try
        {
            var url = serve["Listen"] ?? DefaultListen;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new UsageException($"--listen: '{url}' is not a URL like {DefaultListen}");
            return new ServeOptions(url, database, KnownSenders.FromConfiguration(configuration.GetSection("Analysis:KnownSenders")))
            {
                AllowAnonymousRead = serve.GetValue<bool>("AllowAnonymousRead"),
                KnownProxies = [.. serve.GetSection("KnownProxies").Get<string[]>() is { } proxies ? proxies.Select(Proxy) : []],
                ProxyUserHeader = serve["ProxyUserHeader"] is { Length: > 0 } header ? header : null,
                KeysFolder = serve["KeysFolder"],
            };
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new UsageException($"configuration: {e.Message}");
        }
    }

    private static IPAddress Proxy(string text) =>
        IPAddress.TryParse(text, out var address) ? address : throw new FormatException($"Serve:KnownProxies: '{text}' is not an IP address");
}
