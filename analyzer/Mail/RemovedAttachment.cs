namespace DmarcAnalyzer.Mail;

/// <summary>An attachment <see cref="AttachmentStripper"/> took out; <see cref="Size"/> is its decoded size.</summary>
/// <param name="FileName">The decoded file name, or "" when it had none.</param>
internal sealed record RemovedAttachment(string FileName, string MimeType, long Size);
