using System.Text.RegularExpressions;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Failure reports carry personal data (RFC 9991, privacy considerations): unless the configuration's
/// <c>Analysis:ShowFailureReportDetails</c> is true, the report page and exports show an address's local part as its first
/// character and "***" (<c>j***@example.com</c>), leave display names out, and show a subject's first word only.
/// </summary>
internal static partial class FailureReportPrivacy
{
    public const string Setting = "Analysis:ShowFailureReportDetails";

    /// <summary>Every address in the text with its local part masked; display names around bracketed addresses are dropped.</summary>
    public static string? MaskAddresses(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return text;
        var bracketed = Bracketed().Matches(text);
        // "Name" <j@example.com>, <k@example.com>: the addresses alone, so the names go.
        var kept = bracketed.Count > 0 && !text.Contains(';')
            ? string.Join(", ", bracketed.Select(m => m.Groups[1].Value))
            : text;
        return Address().Replace(kept, m => m.Groups[1].Value + Mask(m.Groups[2].Value) + "@" + m.Groups[3].Value);
    }

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

    [GeneratedRegex(@"<([^<>\s]+@[^<>\s]+)>")]
    private static partial Regex Bracketed();

    /// <summary>
    /// local@domain, the local part unquoted or quoted (RFC 5322 section 3.4.1); an Authentication-Results property before it
    /// (<c>smtp.mailfrom=</c>, RFC 8601 section 2.2) is kept apart, as "=" may be part of a local part (SRS, VERP).
    /// </summary>
    [GeneratedRegex(@"((?:[A-Za-z]+\.[A-Za-z-]+=)?)(""[^""]*""|[^\s<>""(),;:@]+)@([A-Za-z0-9.\-\[\]:_]+)")]
    private static partial Regex Address();
}
