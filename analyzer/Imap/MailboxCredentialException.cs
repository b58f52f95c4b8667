namespace DmarcAnalyzer.Imap;

/// <summary>No credentials to log in with: the token file is missing or empty, or the token command failed.</summary>
internal sealed class MailboxCredentialException(string message) : Exception(message);
