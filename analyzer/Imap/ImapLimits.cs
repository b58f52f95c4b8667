namespace DmarcAnalyzer.Imap;

/// <summary>What the poller allows a server: the largest message it fetches and how long any exchange may stay silent.</summary>
internal sealed record ImapLimits
{
    /// <summary>
    /// The largest message fetched (by its RFC822.SIZE); a larger one goes to the failed folder unread. MailKit keeps a
    /// fetched message in memory, so this is also what one message may cost.
    /// </summary>
    public long MaxMessageBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Connecting, and each read or write afterwards (MailKit's <c>Timeout</c>).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public static ImapLimits Default { get; } = new();
}
