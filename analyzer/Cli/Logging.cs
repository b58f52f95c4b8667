using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Cli;

/// <summary>Logs go to stderr so that stdout stays for the contract lines scripts read.</summary>
internal static class Logging
{
    public static ILoggerFactory CreateFactory(LogLevel minimum = LogLevel.Information) =>
        LoggerFactory.Create(builder => builder
            .SetMinimumLevel(minimum)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
}
