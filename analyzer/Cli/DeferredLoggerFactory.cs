using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// A logger factory that builds the real one when one of its loggers first writes a message at
/// <paramref name="minimum"/> or above. Its loggers answer <see cref="ILogger.IsEnabled"/> from that level
/// alone, so a run that logs nothing never builds it.
/// </summary>
internal sealed class DeferredLoggerFactory(LogLevel minimum, Func<ILoggerFactory> build) : ILoggerFactory
{
    private readonly Lazy<ILoggerFactory> _factory = new(build);

    private bool IsEnabled(LogLevel level) => level >= minimum && level != LogLevel.None;

    public ILogger CreateLogger(string categoryName) => new DeferredLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => _factory.Value.AddProvider(provider);

    public void Dispose()
    {
        if (_factory.IsValueCreated)
            _factory.Value.Dispose();
    }

    private sealed class DeferredLogger(DeferredLoggerFactory owner, string category) : ILogger
    {
        private ILogger? _logger;

        private ILogger Logger => _logger ??= owner._factory.Value.CreateLogger(category);

        public bool IsEnabled(LogLevel logLevel) => owner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (owner.IsEnabled(logLevel))
                Logger.Log(logLevel, eventId, state, exception, formatter);
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => Logger.BeginScope(state);
    }
}
