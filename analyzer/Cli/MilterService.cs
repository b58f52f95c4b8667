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
internal sealed class MilterService : BackgroundService
{
    private readonly MilterServer _server;
    private readonly VerdictLog _verdicts;
    private readonly FilterSettings _settings;
    private readonly ZoneReloader _zones;
    private readonly ILogger<MilterService> _logger;
    private readonly Channel<bool> _hangups = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly PosixSignalRegistration _hangup;

    /// <summary>
    /// Takes SIGHUP from here on, before the server listens: an early HUP (logrotate's postrotate) must not kill
    /// the process by the default action. The handler only asks; the reload runs in <see cref="ExecuteAsync"/>.
    /// </summary>
    public MilterService(MilterServer server, VerdictLog verdicts, FilterSettings settings, ZoneReloader zones, ILogger<MilterService> logger)
    {
        (_server, _verdicts, _settings, _zones, _logger) = (server, verdicts, settings, zones, logger);
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _hangups.Writer.TryWrite(true);
        });
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var writerStop = new CancellationTokenSource();
        var writer = _verdicts.RunAsync(writerStop.Token);
        var reloads = ReloadOnHangupAsync(_hangups.Reader, writerStop.Token);
        try
        {
            await _server.RunAsync(stoppingToken);
        }
        finally
        {
            await writerStop.CancelAsync();
            await reloads;
            await writer;
            _logger.LogInformation("milter stopped; {Written} verdicts stored, {Dropped} dropped", _verdicts.Written, _verdicts.Dropped);
        }
    }

    private async Task ReloadOnHangupAsync(ChannelReader<bool> hangups, CancellationToken ct)
    {
        try
        {
            await foreach (var _ in hangups.ReadAllAsync(ct))
            {
                _logger.LogInformation("SIGHUP: reloading the configuration and the zone files");
                try
                {
                    _settings.Reload();
                    await _zones.ReloadAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Whatever goes wrong, the milter keeps what is in force and the next SIGHUP tries again.
                    _logger.LogError(e, "reload failed; the configuration and zone files in force stay");
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: a reload asked for now is moot.
        }
    }

    public override void Dispose()
    {
        _hangup.Dispose();
        base.Dispose();
    }
}
