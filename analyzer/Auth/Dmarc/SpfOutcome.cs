namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>
/// The SPF check's outcome, evaluated elsewhere (RFC 7208): the result word, the domain it was for, which identity
/// that was ("mailfrom" or "helo", RFC 8601 §2.7.2), the identity as given (a MAIL FROM address or HELO name),
/// and a comment for the Authentication-Results header (why SPF was not checked, say).
/// </summary>
internal sealed record SpfOutcome(string Result, string Domain, string Scope = "mailfrom", string? Identity = null, string? Comment = null);
