namespace DmarcAnalyzer.Imap;

/// <summary>
/// The report mailbox and its folders. Folder names use <c>/</c> as the hierarchy separator whatever the server's
/// delimiter (Dovecot's Maildir uses <c>.</c>); they may hold any Unicode.
/// </summary>
internal sealed record RuaMailbox(
    string User,
    string Password,
    string Folder = "INBOX",
    string ArchiveFolder = "DMARC/Processed",
    string FailedFolder = "DMARC/Failed",
    int BatchSize = 50)
{
    /// <summary>Never print the password, even by accident.</summary>
    public override string ToString() => $"{User}/{Folder}";
}

/// <summary>How often to look: one pass, a pass every <see cref="Interval"/>, or IDLE (RFC 2177) with polling as fallback.</summary>
internal sealed record PollSchedule(PollMode Mode, TimeSpan Interval)
{
    public static PollSchedule Once { get; } = new(PollMode.Once, TimeSpan.Zero);
}

internal enum PollMode { Once, Every, Idle }
