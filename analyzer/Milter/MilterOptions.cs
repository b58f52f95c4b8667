namespace DmarcAnalyzer.Milter;

/// <summary>Limits and timeouts of the milter server; bound from the <c>Filter:Milter</c> configuration section.</summary>
internal sealed record MilterOptions
{
    /// <summary>Largest packet accepted. Postfix sends a header field in one packet (header_size_limit 100 KiB).</summary>
    public int MaxPacketSize { get; init; } = 256 * 1024;

    /// <summary>How long a connection may sit between commands before it is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a started packet, or a message in progress, may wait for the peer's next bytes.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>On shutdown, how long messages in progress may take to finish before their connections are cut.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

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

    /// <summary>A message is kept in memory up to this size, in a temporary file beyond it.</summary>
    public long SpoolMemoryBytes { get; init; } = 1024 * 1024;

    /// <summary>Content past this size is not collected; the message is marked truncated.</summary>
    public long MaxMessageBytes { get; init; } = 64L * 1024 * 1024;
}
