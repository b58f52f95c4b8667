namespace DmarcAnalyzer.Tests.Milter;

/// <summary>
/// A clock the test moves by hand whose timers fire only when it is moved: the milter's heartbeat runs exactly when
/// the test says, so deadlines are checked without sleeping and without real time leaking in.
/// </summary>
internal sealed class MilterClock : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private long _ticks;
    private Action? _onNextReading;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        Interlocked.Exchange(ref _onNextReading, null)?.Invoke();
        return Interlocked.Read(ref _ticks);
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the thread that next reads the clock, before it gets the time: a test makes
    /// something happen at an exact point of the server's work (the server reads the clock after each read's packets).
    /// </summary>
    public void OnNextReading(Action action) => Volatile.Write(ref _onNextReading, action);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state, period);
        timer.Change(dueTime, period);
        lock (_timers)
            _timers.Add(timer);
        return timer;
    }

    /// <summary>Moves the clock, then runs each timer that came due (once, however many periods passed).</summary>
    public void Advance(TimeSpan by)
    {
        var now = Interlocked.Add(ref _ticks, by.Ticks);
        ManualTimer[] timers;
        lock (_timers)
            timers = [.. _timers];
        foreach (var timer in timers)
            timer.FireIfDue(now);
    }

    private sealed class ManualTimer(MilterClock clock, TimerCallback callback, object? state, TimeSpan period) : ITimer
    {
        private long _due = long.MaxValue;
        private TimeSpan _period = period;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            Interlocked.Exchange(ref _due, dueTime == Timeout.InfiniteTimeSpan ? long.MaxValue : clock.GetTimestamp() + dueTime.Ticks);
            return true;
        }

        public void FireIfDue(long now)
        {
            var due = Interlocked.Read(ref _due);
            if (now < due)
                return;
            Interlocked.Exchange(ref _due, _period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero ? long.MaxValue : now + _period.Ticks);
            callback(state);
        }

        public void Dispose()
        {
            Interlocked.Exchange(ref _due, long.MaxValue);
            lock (clock._timers)
                clock._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
