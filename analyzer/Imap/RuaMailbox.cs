namespace DmarcAnalyzer.Imap;

/// <summary>
/// One report mailbox: where it is, who logs in, and its folders. Folder names use <c>/</c> as the hierarchy separator
/// whatever the server's delimiter (Dovecot's Maildir uses <c>.</c>); they may hold any Unicode.
/// </summary>
internal sealed record RuaMailbox(
    string Name,
    ImapServer Server,
    string User,
    MailboxCredentials Credentials,
    string Folder = "INBOX",
    string ArchiveFolder = "DMARC/Processed",
    string FailedFolder = "DMARC/Failed",
    int BatchSize = 50)
{
    /// <summary>Names the mailbox in logs; never the credentials.</summary>
    public override string ToString() => Name;
}

/// <summary>How often to look: one pass, a pass every <see cref="Interval"/>, or IDLE (RFC 2177) with polling as fallback.</summary>
internal sealed record PollSchedule(PollMode Mode, TimeSpan Interval)
{
    public static PollSchedule Once { get; } = new(PollMode.Once, TimeSpan.Zero);
}

internal enum PollMode { Once, Every, Idle }
