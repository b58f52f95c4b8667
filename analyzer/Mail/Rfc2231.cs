namespace DmarcAnalyzer.Mail;

/// <summary>
/// RFC 2231 parameter values: continuations (<c>name*0=</c>, <c>name*1*=</c>) and charset'language'%XX
/// encoding. Also decodes RFC 2047 encoded words in plain values, which RFC 2047 §5 forbids but Outlook and many
/// Japanese mailers write anyway.
/// </summary>
internal static class Rfc2231
{
    /// <summary>
    /// Joins and decodes raw parameters into a case-insensitive map. An RFC 2231 value wins over a plain one of
    /// the same name (senders give both for old readers); otherwise the first occurrence wins.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DecodeParameters(IEnumerable<(string Name, string Value)> parameters)
    {
        var plain = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var extended = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var sections = new Dictionary<string, List<(int Index, bool Encoded, string Value)>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (rawName, value) in parameters)
        {
            var name = rawName;
            var encoded = name.EndsWith('*');
            if (encoded)
                name = name[..^1];
            var star = name.LastIndexOf('*');
            if (star > 0 && int.TryParse(name.AsSpan(star + 1), System.Globalization.NumberStyles.None, null, out var index))
            {
                var baseName = name[..star];
                if (!sections.TryGetValue(baseName, out var list))
                    sections[baseName] = list = [];
                list.Add((index, encoded, value));
            }
            else if (encoded)
                extended.TryAdd(name, DecodeExtendedValue(value));
            else
                // A boundary is an opaque token (RFC 2046 §5.1.1) and may look like an encoded word.
                plain.TryAdd(name, name.Equals("boundary", StringComparison.OrdinalIgnoreCase) ? value : EncodedWords.Decode(value));
        }
        foreach (var (name, list) in sections)
            extended.TryAdd(name, JoinSections(list));
        foreach (var (name, value) in extended)
            plain[name] = value;
        return plain;
    }

    /// <summary>Decodes one <c>charset'language'percent-encoded</c> value (RFC 2231 §4).</summary>
    public static string DecodeExtendedValue(string value)
    {
        var (charset, encoded) = SplitCharset(value);
        return Charsets.Decode(PercentDecode(encoded), charset);
    }

    private static string JoinSections(List<(int Index, bool Encoded, string Value)> list)
    {
        list.Sort((a, b) => a.Index.CompareTo(b.Index));
        string? charset = null;
        var bytes = new List<byte>();
        foreach (var (index, encoded, value) in list)
        {
            if (!encoded)
            {
                bytes.AddRange(Charsets.Utf8.GetBytes(value));
                continue;
            }
            var text = value;
            // §4.1: only the first section carries the charset and language.
            if (index == list[0].Index)
                (charset, text) = SplitCharset(value);
            bytes.AddRange(PercentDecode(text));
        }
        return Charsets.Decode(bytes.ToArray(), charset);
    }

    private static (string? Charset, string Text) SplitCharset(string value)
    {
        var first = value.IndexOf('\'');
        var second = first < 0 ? -1 : value.IndexOf('\'', first + 1);
        return second < 0 ? (null, value) : (value[..first], value[(second + 1)..]);
    }

    private static byte[] PercentDecode(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%' && i + 2 < text.Length && char.IsAsciiHexDigit(text[i + 1]) && char.IsAsciiHexDigit(text[i + 2]))
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (text[i] < 0x80)
                bytes.Add((byte)text[i]);
            else
            {
                // Raw 8-bit text where %XX was due: keep the character (a surrogate pair stays whole).
                var length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1;
                bytes.AddRange(Charsets.Utf8.GetBytes(text.Substring(i, length)));
                i += length - 1;
            }
        }
        return bytes.ToArray();
    }
}
