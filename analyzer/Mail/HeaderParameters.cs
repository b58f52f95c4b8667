namespace DmarcAnalyzer.Mail;

/// <summary>
/// Splits a structured header value of the RFC 2045 §5.1 shape <c>token; name=value; name="quoted"</c> into its
/// leading token and raw parameters. Lenient: unquoted values may hold spaces, comments are skipped, an unclosed
/// quote runs to the end.
/// </summary>
internal static class HeaderParameters
{
    public static (string Token, IReadOnlyDictionary<string, string> Parameters) Parse(string value)
    {
        var i = 0;
        var token = ReadUntil(value, ref i, ';').Trim().ToLowerInvariant();
        var raw = new List<(string Name, string Value)>();
        while (i < value.Length)
        {
            i++; // the ';'
            var name = ReadUntil(value, ref i, '=', ';').Trim();
            if (i >= value.Length || value[i] == ';')
                continue;
            i++; // the '='
            while (i < value.Length && char.IsWhiteSpace(value[i]))
                i++;
            string parameterValue;
            if (i < value.Length && value[i] == '"')
            {
                parameterValue = ReadQuoted(value, ref i);
                ReadUntil(value, ref i, ';');
            }
            else
                parameterValue = ReadUntil(value, ref i, ';').Trim();
            if (name.Length > 0)
                raw.Add((name, parameterValue));
        }
        return (token, Rfc2231.DecodeParameters(raw));
    }

    /// <summary>Reads to one of <paramref name="stops"/> outside comments; RFC 5322 §3.2.2 comments nest.</summary>
    private static string ReadUntil(string value, ref int i, params ReadOnlySpan<char> stops)
    {
        var text = new System.Text.StringBuilder();
        var commentDepth = 0;
        for (; i < value.Length; i++)
        {
            var c = value[i];
            if (commentDepth > 0)
            {
                if (c == '\\')
                    i++;
                else if (c == '(')
                    commentDepth++;
                else if (c == ')')
                    commentDepth--;
                continue;
            }
            if (stops.Contains(c))
                break;
            if (c == '(')
                commentDepth++;
            else
                text.Append(c);
        }
        return text.ToString();
    }

    private static string ReadQuoted(string value, ref int i)
    {
        var text = new System.Text.StringBuilder();
        for (i++; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '"')
            {
                i++;
                break;
            }
            // A backslash before anything but '"' or '\' is kept: Windows paths in filenames arrive unescaped.
            if (c == '\\' && i + 1 < value.Length && value[i + 1] is '"' or '\\')
                c = value[++i];
            text.Append(c);
        }
        return text.ToString();
    }
}
