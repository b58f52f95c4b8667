using System.Runtime.InteropServices;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Milter;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// The milter daemon under the generic host: the server (already listening), the verdict writer beside it, SIGHUP
/// to reload the configuration. SIGTERM stops accepting, lets messages in progress finish, then drains the verdict queue.
/// </summary>
internal sealed class MilterService(MilterServer server, VerdictLog verdicts, FilterSettings settings,
    ILogger<MilterService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            logger.LogInformation("SIGHUP: reloading the configuration");
            settings.Reload();
        });
        using var writerStop = new CancellationTokenSource();
        var writer = verdicts.RunAsync(writerStop.Token);
        try
        {
            await server.RunAsync(stoppingToken);
        }
        finally
        {
            await writerStop.CancelAsync();
            await writer;
            logger.LogInformation("milter stopped; {Written} verdicts stored, {Dropped} dropped", verdicts.Written, verdicts.Dropped);
        }
    }
}
