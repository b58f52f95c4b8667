using System.Globalization;
using MimeKit;

namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>The author domains of a message, or why there are none to evaluate.</summary>
internal sealed record AuthorDomainsResult(IReadOnlyList<string> Domains, string? Error);

/// <summary>
/// Finds the RFC5322.From domains (RFC 9989 author domain, RFC 5322 §3.4) with MimeKit's address parser in strict mode
/// (loose mode would read an unclosed "Joe &lt;joe@example.com" as an address); groups are flattened, display names skipped.
/// </summary>
internal static class AuthorDomains
{
    private const int MaxAddresses = 100;
    private static readonly IdnMapping Idn = new();
    // An address without a domain ("joe") still parses, so that it is reported as such rather than as unparsable.
    private static readonly ParserOptions Strict = new() { AddressParserComplianceMode = RfcComplianceMode.Strict, AllowAddressesWithoutDomain = true };

    /// <param name="fromFieldValues">The value of every From field in the message (unfolded or not).</param>
    public static AuthorDomainsResult Find(IReadOnlyList<string> fromFieldValues)
    {
        if (fromFieldValues.Count == 0)
            return new([], "no From header field");
        // RFC 5322 §3.6 allows exactly one From field; RFC 9989 leaves such messages outside DMARC.
        if (fromFieldValues.Count > 1)
            return new([], $"{fromFieldValues.Count} From header fields");
        if (!InternetAddressList.TryParse(Strict, fromFieldValues[0], out var list))
            return new([], "From header field cannot be parsed");
        var mailboxes = list.Mailboxes.ToList();
        if (mailboxes.Count == 0)
            return new([], "From header field has no address");
        if (mailboxes.Count > MaxAddresses)
            return new([], $"From header field has over {MaxAddresses} addresses");
        var domains = new List<string>();
        foreach (var mailbox in mailboxes)
        {
            if (mailbox.Domain.Length == 0)
                return new([], $"From address '{mailbox.Address}' has no domain");
            var domain = Normalize(mailbox.Domain);
            if (domain is null)
                return new([], $"From address '{mailbox.Address}' has an unusable domain");
            if (!domains.Contains(domain))
                domains.Add(domain);
        }
        return new(domains, null);
    }

    /// <summary>A domain in lower-case A-label form without a final dot, or null when it is not a usable domain name.</summary>
    public static string? Normalize(string domain)
    {
        domain = domain.Trim().TrimEnd('.');
        if (domain.Length == 0 || domain.StartsWith('[') || domain.Length > 253)
            return null;
        try
        {
            domain = Idn.GetAscii(domain).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
        return domain.Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            ? domain
            : null;
    }
}
