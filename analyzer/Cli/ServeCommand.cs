using System.CommandLine;
using System.Net;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc serve [--listen URL] [--db FILE] [--dns ...] [--zone ...] [--offline]</c>: the web dashboard. The <c>Serve</c>
/// section of the configuration holds AllowAnonymousRead, KnownProxies, ProxyUserHeader, SecureCookies, KeysFolder and CheckRecords
/// (default true: the domain page checks the published records live, through the resolver the DNS options make).
/// </summary>
internal static class ServeCommand
{
    public const string DefaultListen = "http://127.0.0.1:8080";

    public static Command Create()
    {
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        settings.Bind(new Option<string?>("--listen") { Description = $"Address to listen on (default: Serve:Listen, else {DefaultListen})" }, "Serve:Listen");
        var dns = new DnsCommandOptions();
        var command = new Command("serve", "Run the web dashboard over the store");
        settings.AddTo(command);
        dns.AddTo(command);
        command.SetAction(async (ParseResult result, CancellationToken ct) =>
        {
            var configuration = settings.Load(result);
            var options = Options(configuration, AppConfiguration.DatabasePath(configuration)) with
            {
                Records = configuration.GetValue("Serve:CheckRecords", true) ? await RecordsAsync(dns, result, configuration, ct) : null,
            };
            await using var app = DashboardServer.Build(options);
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
                SecureCookies = serve.GetValue<bool>("SecureCookies"),
                ShowFailureReportDetails = configuration.GetValue<bool>(FailureReportPrivacy.Setting),
            };
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new UsageException($"configuration: {e.Message}");
        }
    }

    /// <summary>The domain page's live record check: the resolver and Public Suffix List <c>dmarc check dmarc|spf</c> use.</summary>
    private static async Task<PublishedRecords> RecordsAsync(DnsCommandOptions dns, ParseResult result, IConfiguration configuration, CancellationToken ct)
    {
        var resolver = await dns.CreateResolverAsync(result, configuration, ct);
        try
        {
            return new PublishedRecords(resolver, await PublicSuffixList.LoadAsync(AuthSettings.From(configuration).PublicSuffixListPath, ct), null);
        }
        catch (PublicSuffixListMissingException e)
        {
            return new PublishedRecords(resolver, null, e.Message);
        }
    }

    private static IPAddress Proxy(string text) =>
        IPAddress.TryParse(text, out var address) ? address : throw new FormatException($"Serve:KnownProxies: '{text}' is not an IP address");
}
