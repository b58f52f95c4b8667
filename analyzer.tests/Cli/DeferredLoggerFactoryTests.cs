using DmarcAnalyzer.Cli;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Tests.Cli;

public class DeferredLoggerFactoryTests
{
    /// <summary>A provider that keeps what it is given, and says when it is disposed.</summary>
    private sealed class Recorder : ILoggerProvider
    {
        public readonly List<string> Lines = [];
        public bool Disposed;

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() => Disposed = true;

        private sealed class Logger(Recorder owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Add($"{category} {logLevel}: {formatter(state, exception)}");
        }
    }

    [Fact]
    public void NothingIsBuiltUntilAMessageIsLetThrough()
    {
        var builds = 0;
        var recorder = new Recorder();
        using (var factory = new DeferredLoggerFactory(LogLevel.Information, () =>
        {
            builds++;
            var built = new LoggerFactory();
            // Providers added this way are disposed with their factory.
            built.AddProvider(recorder);
            return built;
        }))
        {
            var log = factory.CreateLogger("ingest");
            log.LogDebug("not shown");
            Assert.False(log.IsEnabled(LogLevel.Debug));
            Assert.True(log.IsEnabled(LogLevel.Warning));
            Assert.False(log.IsEnabled(LogLevel.None));
            Assert.Equal(0, builds);

            log.LogWarning("{Source}: broken", "a.xml");
            factory.CreateLogger("poll").LogInformation("polled");
            Assert.Equal(1, builds);
            Assert.Equal(["ingest Warning: a.xml: broken", "poll Information: polled"], recorder.Lines);
        }
        Assert.True(recorder.Disposed);
    }

    [Fact]
    public void AFactoryNeverBuiltDisposesNothing()
    {
        var factory = new DeferredLoggerFactory(LogLevel.Warning, () => throw new InvalidOperationException("built"));
        factory.CreateLogger("ingest").LogInformation("below the minimum");
        factory.Dispose();
    }
}
