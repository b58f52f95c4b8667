namespace DmarcAnalyzer.Milter;

/// <summary>
/// One accepted connection as the server's heartbeat sees it: whether it is inside a message, since when it has
/// been idle, and the deadline it must meet. Deadlines are overall (Kestrel's MinRequestBodyDataRate idea without
/// the rate): a packet from its first byte, a message from MAIL FROM, idleness from the end of the last message,
/// so that trickling bytes or macro packets extends none of them.
/// </summary>
internal sealed class MilterConnection(long id, string peer, MilterOptions options, TimeProvider time)
{
    // Neither linked nor timed, so it holds nothing to dispose; the heartbeat may still close a connection that just ended.
    private readonly CancellationTokenSource _closing = new();
    private readonly object _gate = new();
    private readonly long _packetTicks = Ticks(options.CommandTimeout, time);
    private readonly long _messageTicks = Ticks(options.MessageTimeout, time);
    private readonly long _idleTicks = Ticks(options.IdleTimeout, time);
    private bool _inMessage;
    private bool _partial;
    private long _messageStart;
    private long _packetStart;
    private long _deadline = Add(time.GetTimestamp(), Ticks(options.IdleTimeout, time));
    private MilterCloseReason _closedBecause;

    public long Id => id;

    public string Peer => peer;

    /// <summary>Cancelled when the server closes the connection; every read and write of the connection waits on it.</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>Why the server closed the connection; <see cref="MilterCloseReason.None"/> while it has not.</summary>
    public MilterCloseReason ClosedBecause
    {
        get
        {
            lock (_gate)
                return _closedBecause;
        }
    }

    /// <summary>When the connection started or its last message ended (a <see cref="TimeProvider"/> timestamp).</summary>
    public long IdleSince { get; private set; } = time.GetTimestamp();

    /// <summary>True between MAIL FROM and our reply at the end of that message (or its abort).</summary>
    public bool InMessage
    {
        get
        {
            lock (_gate)
                return _inMessage;
        }
    }

    /// <summary>Bytes of a packet not yet whole that the connection holds in its pipe.</summary>
    public long BufferedBytes { get; private set; }

    /// <summary>
    /// Called after each read's packets are handled. <paramref name="packetsTaken"/> tells whether a packet ended in
    /// this read: what is left over then is a new packet, whose clock starts now.
    /// </summary>
    public void Update(bool inMessage, long bufferedBytes, bool packetsTaken)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (inMessage && !_inMessage)
                _messageStart = now;
            if (!inMessage && _inMessage)
                IdleSince = now;
            var partial = bufferedBytes > 0;
            if (partial && (packetsTaken || !_partial))
                _packetStart = now;
            (_inMessage, _partial, BufferedBytes) = (inMessage, partial, bufferedBytes);
            var deadline = inMessage ? Add(_messageStart, _messageTicks) : Add(IdleSince, _idleTicks);
            _deadline = partial ? Math.Min(deadline, Add(_packetStart, _packetTicks)) : deadline;
        }
    }

    /// <summary>Closes the connection if its deadline has passed; true if it did.</summary>
    public bool CloseIfLate(long now)
    {
        lock (_gate)
            return now >= _deadline && Close(MilterCloseReason.Deadline);
    }

    /// <summary>Closes the connection unless a message is in progress on it; true if it did.</summary>
    public bool CloseIfIdle(MilterCloseReason reason)
    {
        lock (_gate)
            return !_inMessage && Close(reason);
    }

    /// <summary>Closes the connection whatever it is doing; true if this call closed it.</summary>
    public bool Close(MilterCloseReason reason)
    {
        lock (_gate)
        {
            if (_closedBecause != MilterCloseReason.None)
                return false;
            _closedBecause = reason;
        }
        _closing.Cancel();
        return true;
    }

    private static long Ticks(TimeSpan timeout, TimeProvider time) =>
        timeout <= TimeSpan.Zero || timeout.TotalSeconds * time.TimestampFrequency >= long.MaxValue / 4
            ? long.MaxValue / 4
            : (long)(timeout.TotalSeconds * time.TimestampFrequency);

    private static long Add(long timestamp, long ticks) => timestamp > long.MaxValue - ticks ? long.MaxValue : timestamp + ticks;
}

/// <summary>Why the server closed a connection.</summary>
internal enum MilterCloseReason
{
    None,

    /// <summary>A packet, a message or idleness went past its deadline.</summary>
    Deadline,

    /// <summary>Idle while the connections neared <see cref="MilterOptions.MaxConnections"/>: room for a new one.</summary>
    Evicted,

    /// <summary>The server is stopping.</summary>
    Shutdown,
}
