using System.Text;

namespace DmarcAnalyzer.Reports;

/// <summary>
/// Report strings are untrusted: this replaces what must not reach a page, a spreadsheet or a terminal with U+FFFD,
/// before XmlWriter, HtmlEncode or CsvHelper escape the rest: control characters (a terminal runs ESC sequences and
/// rings BEL), lone surrogates and non-characters (XML cannot carry them), and the directional formatting characters
/// (U+202E and its kin make "moc.elgoog" read as "google.com": Trojan Source, CVE-2021-42574).
/// </summary>
internal static class SafeText
{
    /// <summary>The text made safe and capped at <paramref name="maxLength"/> characters (an ellipsis marks the cut).</summary>
    public static string Clean(string? text, int maxLength = 200)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        var builder = new StringBuilder(Math.Min(text.Length, maxLength) + 1);
        Append(builder, text, maxLength);
        if (builder.Length >= maxLength && builder.Length < text.Length)
            builder.Append('…');
        return builder.ToString();
    }

    /// <summary>
    /// <see cref="Clean"/> for what must stay one line (a terminal line, a contract line scripts parse, a subject, a
    /// line of a text mail or chat message): tabs and line breaks go too, so a report cannot forge lines.
    /// </summary>
    public static string Line(string? text, int maxLength = 200)
    {
        var clean = Clean(text, maxLength);
        return clean.AsSpan().IndexOfAny('\t', '\n', '\r') < 0 ? clean : clean.Replace('\t', ' ').Replace('\r', '\uFFFD').Replace('\n', '\uFFFD');
    }

    /// <summary>The whole text made safe, uncut (exports, which must keep everything the store holds).</summary>
    public static string Neutralise(string text)
    {
        if (!NeedsCleaning(text))
            return text;
        var builder = new StringBuilder(text.Length);
        Append(builder, text, int.MaxValue);
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, string text, int maxLength)
    {
        for (var i = 0; i < text.Length && builder.Length < maxLength; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
                continue;
            }
            builder.Append(char.IsSurrogate(c) || IsUnsafe(c) ? '\uFFFD' : c);
        }
    }

    private static bool NeedsCleaning(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(text[i]) || IsUnsafe(text[i]))
                return true;
        }
        return false;
    }

    /// <summary>
    /// C0 and C1 controls but tab and line breaks, DEL, the Unicode line and paragraph separators, U+FFFE/U+FFFF, and
    /// the bidirectional controls of Unicode's UAX #9 (ALM, LRM, RLM, LRE-RLO, LRI-PDI).
    /// </summary>
    private static bool IsUnsafe(char c) =>
        (char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
        || c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069')
        || c is '\u2028' or '\u2029' or '\uFFFE' or '\uFFFF';
}
