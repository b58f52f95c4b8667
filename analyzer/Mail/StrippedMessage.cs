namespace DmarcAnalyzer.Mail;

/// <summary>
/// The rewritten message. <see cref="Body"/> replaces everything after the header block. Each
/// <see cref="HeaderChanges"/> entry sets the top-level field of that name to the value, replacing every
/// occurrence; a null value removes every occurrence. Nothing removed means no changes and no body: the message
/// stays as it is.
/// </summary>
internal sealed record StrippedMessage(
    IReadOnlyList<RemovedAttachment> Removed,
    IReadOnlyList<(string Name, string? Value)> HeaderChanges,
    byte[]? Body);
