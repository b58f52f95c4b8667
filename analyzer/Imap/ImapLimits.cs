namespace DmarcAnalyzer.Imap;

/// <summary>
/// Every bound the client puts on a server: a broken or hostile server can make it wait at most a timeout
/// and allocate at most these sizes, then it gets an <see cref="ImapProtocolException"/> or
/// <see cref="ImapConnectionException"/>.
/// </summary>
internal sealed record ImapLimits
{
    /// <summary>One response line (up to CRLF or a literal marker). Long enough for a UID SEARCH of ~100k UIDs.</summary>
    public int MaxLineBytes { get; init; } = 1024 * 1024;

    /// <summary>All line bytes of one response, literals excluded.</summary>
    public int MaxResponseLineBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>All literal bytes of one response: the largest message we fetch.</summary>
    public long MaxLiteralBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Tokens of one response, and how deep parenthesised lists may nest.</summary>
    public int MaxTokens { get; init; } = 300_000;
    public int MaxListDepth { get; init; } = 16;

    /// <summary>Untagged responses accepted while one command runs (an endless stream of them is a hang).</summary>
    public int MaxUntaggedPerCommand { get; init; } = 1_000_000;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the server may stay silent while we wait for a response.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public static ImapLimits Default { get; } = new();
}
