namespace DmarcAnalyzer.Auth;

/// <summary>
/// What the SMTP session says of the sender, as the MTA (or the command line) gave it: the client's address (which
/// may not parse), the HELO/EHLO name and the MAIL FROM address, empty for the null sender. SPF checks these
/// (RFC 7208 §2.3, §2.4).
/// </summary>
internal sealed record SmtpIdentities(string? ClientAddress, string? Helo, string MailFrom);
