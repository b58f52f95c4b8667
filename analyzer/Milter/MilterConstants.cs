namespace DmarcAnalyzer.Milter;

/// <summary>
/// Command and reply letters, action and protocol bits of milter protocol version 6, as Sendmail's
/// libmilter (mfdef.h) and Postfix (milter8.c) define them.
/// </summary>
internal static class MilterCommandCode
{
    public const byte Abort = (byte)'A';
    public const byte Body = (byte)'B';
    public const byte Connect = (byte)'C';
    public const byte Macro = (byte)'D';
    public const byte EndOfBody = (byte)'E';
    public const byte Helo = (byte)'H';
    public const byte QuitNewConnection = (byte)'K';
    public const byte Header = (byte)'L';
    public const byte Mail = (byte)'M';
    public const byte EndOfHeaders = (byte)'N';
    public const byte OptionNegotiation = (byte)'O';
    public const byte Quit = (byte)'Q';
    public const byte Recipient = (byte)'R';
    public const byte Data = (byte)'T';
    public const byte Unknown = (byte)'U';
}

internal static class MilterReplyCode
{
    public const byte Accept = (byte)'a';
    public const byte ReplaceBody = (byte)'b';
    public const byte Continue = (byte)'c';
    public const byte Discard = (byte)'d';
    public const byte AddHeader = (byte)'h';
    public const byte InsertHeader = (byte)'i';
    public const byte ChangeHeader = (byte)'m';
    public const byte Progress = (byte)'p';
    public const byte Quarantine = (byte)'q';
    public const byte Reject = (byte)'r';
    public const byte Skip = (byte)'s';
    public const byte Tempfail = (byte)'t';
    public const byte ReplyCode = (byte)'y';
    public const byte OptionNegotiation = (byte)'O';
}

[Flags]
internal enum MilterActions : uint
{
    None = 0,
    AddHeaders = 0x01,
    ChangeBody = 0x02,
    AddRecipient = 0x04,
    DeleteRecipient = 0x08,
    ChangeHeaders = 0x10,
    Quarantine = 0x20,
    ChangeSender = 0x40,
    AddRecipientWithArgs = 0x80,
    SetMacroList = 0x100,
}

[Flags]
internal enum MilterProtocolFlags : uint
{
    None = 0,
    NoConnect = 0x01,
    NoHelo = 0x02,
    NoMail = 0x04,
    NoRecipient = 0x08,
    NoBody = 0x10,
    NoHeaders = 0x20,
    NoEndOfHeaders = 0x40,
    NoReplyHeader = 0x80,
    NoUnknown = 0x100,
    NoData = 0x200,
    Skip = 0x400,
    RejectedRecipients = 0x800,
    NoReplyConnect = 0x1000,
    NoReplyHelo = 0x2000,
    NoReplyMail = 0x4000,
    NoReplyRecipient = 0x8000,
    NoReplyData = 0x10000,
    NoReplyUnknown = 0x20000,
    NoReplyEndOfHeaders = 0x40000,
    NoReplyBody = 0x80000,
    HeaderLeadingSpace = 0x100000,
    MaxDataSize256K = 0x10000000,
    MaxDataSize1M = 0x20000000,
}

/// <summary>Stages for which the filter may ask for macros in its negotiation reply (mfdef.h SMFIM_*).</summary>
internal enum MilterMacroStage : uint
{
    Connect = 0,
    Helo = 1,
    MailFrom = 2,
    Recipient = 3,
    Data = 4,
    EndOfMessage = 5,
    EndOfHeaders = 6,
}
