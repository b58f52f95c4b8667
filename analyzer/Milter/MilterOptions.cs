namespace DmarcAnalyzer.Milter;

/// <summary>Limits and timeouts of the milter server; bound from the <c>Filter:Milter</c> configuration section.</summary>
internal sealed record MilterOptions
{
    /// <summary>Largest packet accepted. Postfix sends a header field in one packet (header_size_limit 100 KiB).</summary>
    public int MaxPacketSize { get; init; } = 256 * 1024;

    /// <summary>
    /// How long a connection may go without starting a message, counted from its start or the end of its last
    /// message: packets outside a message (macros, HELO) do not extend it.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long one packet may take to arrive whole, counted from its first byte (not from the last read).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long one message may take from MAIL FROM to our reply at its end, the checks included. Postfix gives a
    /// slow SMTP client 300 s per command but no limit over the whole DATA; this is the bound on a connection's slot.
    /// </summary>
    public TimeSpan MessageTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>On shutdown, how long messages in progress may take to finish before their connections are cut.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Connections served at once. Above nine tenths of it, each new connection closes the connection that has
    /// been idle between messages the longest; at the limit with none idle, new connections are refused.
    /// </summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>
    /// Messages whose content is parsed at once: each may hold a whole message (up to <see cref="MaxMessageBytes"/>)
    /// and its decoded attachments in memory. Others wait for a turn; messages that need no parsing never do.
    /// Read at start (a change needs a restart).
    /// </summary>
    public int MaxConcurrentChecks { get; init; } = 2 * Environment.ProcessorCount;

    /// <summary>
    /// Permissions of a unix socket, octal. The MTA's user must be able to write it: put postfix in the milter's
    /// group, or widen this.
    /// </summary>
    public string UnixSocketMode { get; init; } = "660";

    public int MaxRecipients { get; init; } = 1000;

    public int MaxHeaders { get; init; } = 10_000;

    /// <summary>
    /// Header bytes (names and values) kept per message. Past it, or past <see cref="MaxHeaders"/>, the message is
    /// too large to inspect, like one past <see cref="MaxMessageBytes"/>.
    /// </summary>
    public long MaxHeaderBytes { get; init; } = 1024 * 1024;

    /// <summary>A message is kept in memory up to this size, in a temporary file beyond it.</summary>
    public long SpoolMemoryBytes { get; init; } = 1024 * 1024;

    /// <summary>Content past this size is not collected; the message is marked truncated.</summary>
    public long MaxMessageBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Where messages past <see cref="SpoolMemoryBytes"/> are spooled (default: the system's temporary folder); each file is deleted when its message ends.</summary>
    public string? SpoolDirectory { get; init; }
}
