using System.CommandLine;
using System.Net.Sockets;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Milter;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc milter --listen inet:HOST:PORT|unix:PATH [--config FILE] [--db FILE] [--dns …] [--zone …]</c>: the inline
/// filter. Zone files (Dns:Zones, --zone) answer before the network: SPF records for partners who publish none.
/// </summary>
internal static class MilterCommand
{
    public static Command Create()
    {
        var settings = new CommandConfiguration();
        settings.Bind(new Option<string?>("--listen")
        {
            Description = "Where the MTA connects: inet:HOST:PORT or unix:PATH (default: Filter:Listen in the configuration)",
        }, "Filter:Listen");
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var dns = new DnsCommandOptions();
        var command = new Command("milter", "Run the milter that Postfix or Sendmail calls for every message");
        settings.AddTo(command);
        dns.AddTo(command);
        command.SetAction(async (ParseResult result, CancellationToken ct) =>
        {
            var configuration = settings.Load(result);
            var address = configuration["Filter:Listen"]
                ?? throw new UsageException("--listen is required (or Filter:Listen in the configuration)");
            MilterEndpoint endpoint;
            FilterOptions options;
            try
            {
                endpoint = MilterEndpoint.Parse(address);
                options = FilterSettings.Bind(configuration);
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new UsageException(e.Message);
            }
            if (options.Milter.MaxConcurrentChecks < 1)
                throw new UsageException("Filter:Milter:MaxConcurrentChecks must be at least 1");
            var databasePath = AppConfiguration.DatabasePath(configuration);
            var resolver = await dns.CreateResolverAsync(result, configuration, ct);
            var authenticator = await AuthenticatorAsync(resolver, configuration, ct);
            using var host = Build(configuration, options, databasePath, authenticator, resolver, () => dns.Read(result, configuration).ZoneFiles);
            var service = host.Services.GetServices<IHostedService>().OfType<MilterService>().Single();
            // Listening before the host runs: a port in use or a socket path we may not write is exit 1 with its
            // reason, not a service fault that merely stops the host.
            try
            {
                host.Services.GetRequiredService<MilterServer>().Start(endpoint);
            }
            catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"dmarc: cannot listen on {address}: {e.Message}");
                return ExitCodes.Fatal;
            }
            await host.RunAsync(ct);
            // A failing service stops the host (BackgroundServiceExceptionBehavior.StopHost) and RunAsync returns as
            // after SIGTERM; awaiting the failed task rethrows its error, which exits 1.
            if (service.ExecuteTask is { IsFaulted: true } failed)
                await failed;
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<MessageAuthenticator> AuthenticatorAsync(DnsResolver resolver, IConfiguration configuration, CancellationToken ct)
    {
        var settings = AuthSettings.From(configuration);
        PublicSuffixList? psl = null;
        if (settings.Discovery == DmarcDiscoveryMode.PublicSuffixList)
        {
            try
            {
                psl = await PublicSuffixList.LoadAsync(settings.PublicSuffixListPath, ct);
            }
            catch (PublicSuffixListMissingException e)
            {
                throw new UsageException(e.Message);
            }
        }
        return new MessageAuthenticator(resolver, settings.AuthservId, settings.Discovery, psl);
    }

    private static IHost Build(IConfigurationRoot configuration, FilterOptions options, string databasePath,
        MessageAuthenticator authenticator, DnsResolver resolver, Func<IReadOnlyList<string>> zoneFiles)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSystemd();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.Milter.ShutdownTimeout + TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(options.Milter);
        builder.Services.AddSingleton(sp => new FilterSettings(configuration, sp.GetRequiredService<ILogger<FilterSettings>>()));
        // One store for the milter's life, disposed by the container at shutdown: on PostgreSQL one pool, which the verdict
        // writer and the exceptions' refresh take their connections from.
        builder.Services.AddSingleton(_ => new StoreSource(databasePath));
        builder.Services.AddSingleton(sp => new StoredExceptions(sp.GetRequiredService<StoreSource>().OpenAsync,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<StoredExceptions>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StoredExceptions>());
        builder.Services.AddSingleton(sp => new FilterEngine(
            () => sp.GetRequiredService<FilterSettings>().Current, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<FilterEngine>>(),
            authenticator, () => sp.GetRequiredService<StoredExceptions>().Current));
        builder.Services.AddSingleton(sp => new VerdictLog(sp.GetRequiredService<StoreSource>().OpenAsync,
            options.VerdictQueueCapacity, options.VerdictBatchSize, sp.GetRequiredService<ILogger<VerdictLog>>()));
        builder.Services.AddSingleton(sp => new ZoneReloader(resolver, zoneFiles, sp.GetRequiredService<ILogger<ZoneReloader>>()));
        builder.Services.AddSingleton<IMilterHandler, FilterMilterHandler>();
        builder.Services.AddSingleton<MilterServer>();
        builder.Services.AddHostedService<MilterService>();
        return builder.Build();
    }
}
