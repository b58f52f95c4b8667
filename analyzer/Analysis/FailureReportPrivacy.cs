using System.Text.RegularExpressions;
using MimeKit;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Failure reports carry personal data (RFC 9991, privacy considerations): unless the configuration's
/// <c>Analysis:ShowFailureReportDetails</c> is true, the report page and exports show an address's local part as its first
/// character and "***" (<c>j***@example.com</c>), leave display names out, and show a subject's first word only.
/// </summary>
internal static partial class FailureReportPrivacy
{
    public const string Setting = "Analysis:ShowFailureReportDetails";

    /// <summary>
    /// An address field (From, To, Original-Mail-From, Original-Rcpt-To): its addresses alone, masked. Whatever else the
    /// field holds (display names, group names, comments) is personal data and goes; a field with no address shows nothing.
    /// </summary>
    public static string? MaskAddressField(string? field)
    {
        if (string.IsNullOrEmpty(field))
            return field;
        // MimeKit's parser knows groups, quoted names and comments (RFC 5322 section 3.4); what it cannot parse is
        // searched for addresses, and only those are kept.
        var addresses = InternetAddressList.TryParse(ParserOptions.Default, field, out var list)
            ? list.Mailboxes.Where(m => m.Domain.Length > 0).Select(m => Mask(m.LocalPart) + "@" + m.Domain)
            : Address().Matches(field).Select(m => Mask(m.Groups[2].Value) + "@" + m.Groups[3].Value);
        return string.Join(", ", addresses);
    }

    /// <summary>Every address in free text (Authentication-Results, SPF-DNS) with its local part masked in place.</summary>
    public static string? MaskAddresses(string? text) =>
        string.IsNullOrEmpty(text) ? text : Address().Replace(text, m => m.Groups[1].Value + Mask(m.Groups[2].Value) + "@" + m.Groups[3].Value);

    /// <summary>A Message-ID's left part often names its sender or recipient: <c>&lt;j***@host&gt;</c>.</summary>
    public static string? MaskMessageId(string? messageId) => MaskAddresses(messageId);

    /// <summary>The first word, then an ellipsis when more followed.</summary>
    public static string? MaskSubject(string? subject)
    {
        if (string.IsNullOrWhiteSpace(subject))
            return subject;
        var words = subject.Split((char[])[' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries);
        return words.Length > 1 ? words[0] + " …" : words[0];
    }

    private static string Mask(string local)
    {
        var first = local.TrimStart('"');
        return (first.Length == 0 ? "" : char.IsSurrogate(first[0]) && first.Length > 1 ? first[..2] : first[..1]) + "***";
    }

    /// <summary>
    /// local@domain, the local part unquoted or quoted (RFC 5322 section 3.4.1); an Authentication-Results property before it
    /// (<c>smtp.mailfrom=</c>, RFC 8601 section 2.2) is kept apart, as "=" may be part of a local part (SRS, VERP).
    /// </summary>
    [GeneratedRegex(@"((?:[A-Za-z]+\.[A-Za-z-]+=)?)(""[^""]*""|[^\s<>""(),;:@]+)@([A-Za-z0-9.\-\[\]:_]+)")]
    private static partial Regex Address();
}
