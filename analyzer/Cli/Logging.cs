using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Cli;

/// <summary>Logs go to stderr so that stdout stays for the contract lines scripts read.</summary>
internal static class Logging
{
    /// <summary>
    /// The console logger starts when the first message at <paramref name="minimum"/> or above is written, not
    /// before: building it is a noticeable part of a large ingest (bench/README.md), and most runs log nothing.
    /// </summary>
    public static ILoggerFactory CreateFactory(LogLevel minimum = LogLevel.Information) =>
        new DeferredLoggerFactory(minimum, () => LoggerFactory.Create(builder => builder
            .SetMinimumLevel(minimum)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)));
}
