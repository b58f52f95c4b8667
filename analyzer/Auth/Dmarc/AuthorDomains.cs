using System.Globalization;
using System.Text;

namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>The author domains of a message, or why there are none to evaluate.</summary>
internal sealed record AuthorDomainsResult(IReadOnlyList<string> Domains, string? Error);

/// <summary>
/// Finds the RFC5322.From domains (RFC 9989 author domain, RFC 5322 §3.4) with just enough address parsing:
/// comments, quoted strings, angle addresses, groups. Display names are skipped, never interpreted.
/// </summary>
internal static class AuthorDomains
{
    private const int MaxAddresses = 100;
    private static readonly IdnMapping Idn = new();

    /// <param name="fromFieldValues">The value of every From field in the message (unfolded or not).</param>
    public static AuthorDomainsResult Find(IReadOnlyList<string> fromFieldValues)
    {
        if (fromFieldValues.Count == 0)
            return new([], "no From header field");
        // RFC 5322 §3.6 allows exactly one From field; RFC 9989 leaves such messages outside DMARC.
        if (fromFieldValues.Count > 1)
            return new([], $"{fromFieldValues.Count} From header fields");
        var addresses = Addresses(fromFieldValues[0]);
        if (addresses is null)
            return new([], "From header field cannot be parsed");
        if (addresses.Count == 0)
            return new([], "From header field has no address");
        var domains = new List<string>();
        foreach (var address in addresses)
        {
            var at = address.LastIndexOf('@');
            if (at <= 0 || at == address.Length - 1)
                return new([], $"From address '{address}' has no domain");
            var domain = Normalize(address[(at + 1)..]);
            if (domain is null)
                return new([], $"From address '{address}' has an unusable domain");
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

    // The addr-specs of a mailbox-list or address-list; null when quotes, comments or brackets do not balance.
    private static List<string>? Addresses(string value)
    {
        var addresses = new List<string>();
        var current = new StringBuilder();
        var angle = new StringBuilder();
        var inAngle = false;
        var sawAngle = false;
        var depth = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (depth > 0)
            {
                if (c == '\\')
                    i++;
                else if (c == '(')
                    depth++;
                else if (c == ')')
                    depth--;
                continue;
            }
            switch (c)
            {
                case '(':
                    depth = 1;
                    continue;
                case '"':
                {
                    var quoted = new StringBuilder("\"");
                    for (i++; i < value.Length && value[i] != '"'; i++)
                    {
                        if (value[i] == '\\' && i + 1 < value.Length)
                            i++;
                        quoted.Append(value[i]);
                    }
                    if (i >= value.Length)
                        return null;
                    (inAngle ? angle : current).Append(quoted).Append('"');
                    continue;
                }
                case '<':
                    if (inAngle)
                        return null;
                    inAngle = sawAngle = true;
                    continue;
                case '>':
                    if (!inAngle)
                        return null;
                    inAngle = false;
                    continue;
                case ':' when !inAngle:
                    // A group's display name ends here; its members follow.
                    current.Clear();
                    continue;
                case ',' or ';' when !inAngle:
                    if (!Flush())
                        return null;
                    continue;
            }
            if (c is ' ' or '\t' or '\r' or '\n')
                continue;
            (inAngle ? angle : current).Append(c);
        }
        if (depth > 0 || inAngle || !Flush())
            return null;
        return addresses;

        bool Flush()
        {
            var address = sawAngle ? angle.ToString() : current.ToString();
            if (address.Length > 0)
                addresses.Add(address);
            current.Clear();
            angle.Clear();
            sawAngle = false;
            return addresses.Count <= MaxAddresses;
        }
    }
}
