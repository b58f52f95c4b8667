using System.Runtime.InteropServices;
using System.Threading.Channels;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Milter;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// The milter daemon under the generic host: the server (already listening), the verdict writer beside it, SIGHUP
/// to reload the configuration and the zone files. SIGTERM stops accepting, lets messages in progress finish, then drains the verdict queue.
/// </summary>
internal sealed class MilterService(MilterServer server, VerdictLog verdicts, FilterSettings settings, ZoneReloader zones,
    ILogger<MilterService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The signal handler only asks; the reload (zone files are read asynchronously) runs here, one at a time.
        var hangups = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            hangups.Writer.TryWrite(true);
        });
        using var writerStop = new CancellationTokenSource();
        var writer = verdicts.RunAsync(writerStop.Token);
        var reloads = ReloadOnHangupAsync(hangups.Reader, writerStop.Token);
        try
        {
            await server.RunAsync(stoppingToken);
        }
        finally
        {
            await writerStop.CancelAsync();
            await reloads;
            await writer;
            logger.LogInformation("milter stopped; {Written} verdicts stored, {Dropped} dropped", verdicts.Written, verdicts.Dropped);
        }
    }

    private async Task ReloadOnHangupAsync(ChannelReader<bool> hangups, CancellationToken ct)
    {
        try
        {
            await foreach (var _ in hangups.ReadAllAsync(ct))
            {
                logger.LogInformation("SIGHUP: reloading the configuration and the zone files");
                settings.Reload();
                await zones.ReloadAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: a reload asked for now is moot.
        }
    }
}
