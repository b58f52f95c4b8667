using System.Diagnostics;
using System.Globalization;
using DmarcAnalyzer.Analysis;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// With the setting <c>Timings</c> (<c>DMARC_TIMINGS=true</c>), prints each stage of the report as it ends
/// (<see cref="ReportStages"/>) on standard error: <c>timing: NAME MS ms (at MS ms)</c>, the second figure counted
/// from the process's start. For bench/report; nothing is printed otherwise.
/// </summary>
internal sealed class StageTimings : IDisposable
{
    public const string Setting = "Timings";

    private readonly ActivityListener? _listener;

    private StageTimings(ActivityListener? listener) => _listener = listener;

    public static StageTimings Start(IConfiguration configuration)
    {
        if (!configuration.GetValue<bool>(Setting))
            return new StageTimings(null);
        var started = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        var listener = new ActivityListener
        {
            // By name: the source may be created while this listener is asked about it (ReportStages' first use).
            ShouldListenTo = source => source.Name == ReportStages.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"timing: {a.DisplayName} {a.Duration.TotalMilliseconds:0.0} ms (at {(DateTime.UtcNow - started).TotalMilliseconds:0} ms)")),
        };
        ActivitySource.AddActivityListener(listener);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"timing: start-up {(DateTime.UtcNow - started).TotalMilliseconds:0} ms"));
        return new StageTimings(listener);
    }

    public void Dispose() => _listener?.Dispose();
}
