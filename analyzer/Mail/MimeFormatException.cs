namespace DmarcAnalyzer.Mail;

/// <summary>The input is not a message we can read, or it breaks a <see cref="MimeLimits"/> cap.</summary>
internal sealed class MimeFormatException(string message) : Exception(message);
