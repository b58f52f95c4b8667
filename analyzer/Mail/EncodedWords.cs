using System.Text;

namespace DmarcAnalyzer.Mail;

/// <summary>RFC 2047 encoded words (<c>=?charset?B|Q?text?=</c>) in unstructured header text and phrases.</summary>
internal static class EncodedWords
{
    /// <summary>
    /// Decodes every encoded word in <paramref name="text"/>. Whitespace between two encoded words is dropped
    /// (§6.2), and adjacent words in the same charset are decoded together so that a multi-byte character or an
    /// ISO-2022-JP escape sequence split across words comes out whole. Malformed words are left as they are.
    /// </summary>
    public static string Decode(string text)
    {
        if (!text.Contains("=?", StringComparison.Ordinal))
            return text;
        var result = new StringBuilder(text.Length);
        var pending = new List<byte>();
        string? pendingCharset = null;
        var i = 0;
        while (i < text.Length)
        {
            var start = text.IndexOf("=?", i, StringComparison.Ordinal);
            if (start < 0)
                break;
            if (!TryParseWord(text, start, out var charset, out var bytes, out var wordEnd))
            {
                Flush();
                result.Append(text, i, start + 2 - i);
                i = start + 2;
                continue;
            }
            var onlyWhitespaceBetween = pendingCharset is not null && string.IsNullOrWhiteSpace(text[i..start]);
            if (!onlyWhitespaceBetween || !string.Equals(charset, pendingCharset, StringComparison.OrdinalIgnoreCase))
            {
                Flush();
                if (!onlyWhitespaceBetween)
                    result.Append(text, i, start - i);
            }
            pendingCharset = charset;
            pending.AddRange(bytes);
            i = wordEnd;
        }
        Flush();
        result.Append(text, i, text.Length - i);
        return result.ToString();

        void Flush()
        {
            if (pendingCharset is null)
                return;
            result.Append(Charsets.Decode(pending.ToArray(), pendingCharset));
            pending.Clear();
            pendingCharset = null;
        }
    }

    private static bool TryParseWord(string text, int start, out string charset, out byte[] bytes, out int wordEnd)
    {
        charset = "";
        bytes = [];
        wordEnd = start;
        var charsetEnd = text.IndexOf('?', start + 2);
        if (charsetEnd <= start + 2 || charsetEnd + 2 >= text.Length || text[charsetEnd + 2] != '?')
            return false;
        // §5: encoded text never holds '?', so the word ends at the next one; searching no further keeps a header
        // full of unclosed "=?" linear.
        var payloadEnd = text.IndexOf('?', charsetEnd + 3);
        if (payloadEnd < 0 || payloadEnd + 1 >= text.Length || text[payloadEnd + 1] != '=')
            return false;
        charset = text[(start + 2)..charsetEnd];
        if (charset.Any(char.IsWhiteSpace))
            return false;
        // RFC 2231 §5: "charset*language".
        var star = charset.IndexOf('*');
        if (star >= 0)
            charset = charset[..star];
        var payload = Encoding.Latin1.GetBytes(text[(charsetEnd + 3)..payloadEnd]);
        switch (char.ToUpperInvariant(text[charsetEnd + 1]))
        {
            case 'B':
                bytes = TransferDecoding.DecodeBase64(payload);
                break;
            case 'Q':
                bytes = TransferDecoding.DecodeQuotedPrintable(payload, qEncoding: true);
                break;
            default:
                return false;
        }
        wordEnd = payloadEnd + 2;
        return true;
    }
}
