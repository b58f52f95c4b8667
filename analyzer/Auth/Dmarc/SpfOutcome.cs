using System.Net;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>
/// The SPF check's outcome, evaluated elsewhere (RFC 7208): the result word, the domain it was for, which identity
/// that was ("mailfrom" or "helo", RFC 8601 §2.7.2), the identity as given (a MAIL FROM address or HELO name),
/// and a comment for the Authentication-Results header (why SPF was not checked, say).
/// </summary>
internal sealed record SpfOutcome(string Result, string Domain, string Scope = "mailfrom", string? Identity = null, string? Comment = null)
{
    /// <summary>
    /// The outcome of check_host() for the identity that was checked (RFC 7208 §2.4): the MAIL FROM address, or the
    /// HELO name (§2.3) for the null sender.
    /// </summary>
    public static SpfOutcome Of(SpfResult result, IPAddress client, string mailFrom, string helo)
    {
        var comment = result.Mechanism is { } mechanism ? $"{client} matched {mechanism}" : result.Reason;
        return mailFrom.Length == 0
            ? new SpfOutcome(result.Word, helo, "helo", helo, comment)
            : new SpfOutcome(result.Word, mailFrom[(mailFrom.LastIndexOf('@') + 1)..], "mailfrom", mailFrom, comment);
    }
}
