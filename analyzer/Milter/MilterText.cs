using System.Text;

namespace DmarcAnalyzer.Milter;

/// <summary>
/// Makes text safe for the MTA to put into a header field, an SMTP reply or its quarantine log. Parts of what we
/// write come from the sender (attachment names decoded from RFC 2231 <c>%0D%0A</c>, ZIP member names): a bare line
/// break there would add header lines to the delivered message and a NUL would end the packet's string early. It is
/// done here, where every string goes to the wire, rather than where each text is built, so that no path is missed;
/// header values keep the folds we make ourselves (a line break followed by a space or tab only continues the
/// same field, RFC 5322 §2.2.3), everything else of the kind becomes a space.
/// </summary>
internal static class MilterText
{
    /// <summary>RFC 5322 §2.1.1 allows 998 octets a line; this leaves room for the field name and the fold.</summary>
    public const int MaxLineBytes = 900;

    /// <summary>RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with its code and CRLF.</summary>
    public const int MaxReplyBytes = 500;

    /// <summary>A header value: folds kept as a bare LF (the MTA writes its own line ends), each line capped.</summary>
    public static string HeaderValue(string value)
    {
        var text = new StringBuilder(value.Length);
        var lineBytes = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var fold = value[i] == '\n' ? 1 : value[i] == '\r' && i + 1 < value.Length && value[i + 1] == '\n' ? 2 : 0;
            if (fold > 0 && i + fold < value.Length && value[i + fold] is ' ' or '\t')
            {
                text.Append('\n');
                lineBytes = 0;
                i += fold - 1;
                continue;
            }
            i = AppendCapped(text, value, i, ref lineBytes, MaxLineBytes, keepTab: true);
        }
        return text.ToString();
    }

    /// <summary>One line of text (reply text, quarantine reason): every control character a space, at most <paramref name="maxBytes"/> UTF-8 octets.</summary>
    public static string SingleLine(string value, int maxBytes)
    {
        var text = new StringBuilder(Math.Min(value.Length, maxBytes));
        var bytes = 0;
        for (var i = 0; i < value.Length; i++)
            i = AppendCapped(text, value, i, ref bytes, maxBytes, keepTab: false);
        return text.ToString();
    }

    /// <summary>Appends the character (or surrogate pair) at <paramref name="i"/> unless the line is full; returns its last index.</summary>
    private static int AppendCapped(StringBuilder text, string value, int i, ref int bytes, int maxBytes, bool keepTab)
    {
        var c = value[i];
        if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
        {
            if (bytes + 4 <= maxBytes)
            {
                text.Append(c).Append(value[i + 1]);
                bytes += 4;
            }
            return i + 1;
        }
        if (char.IsControl(c) && !(keepTab && c == '\t'))
            c = ' ';
        // A lone surrogate is written as U+FFFD, three octets.
        var size = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        if (bytes + size <= maxBytes)
        {
            text.Append(c);
            bytes += size;
        }
        return i;
    }
}
