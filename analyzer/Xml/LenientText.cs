using System.Text;

namespace DmarcAnalyzer.Xml;

/// <summary>
/// Decodes bytes that claim to be UTF-8 but are not quite: valid sequences as UTF-8, each invalid byte as
/// windows-1252, the encoding such bytes nearly always come from. The XML declaration's encoding is then moot.
/// </summary>
internal static class LenientText
{
    private static readonly Encoding Windows1252 = Encoding.GetEncoding(1252);

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        Span<char> one = stackalloc char[2];
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.Done)
            {
                text.Append(one[..rune.EncodeToUtf16(one)]);
            }
            else
            {
                consumed = 1;
                text.Append(Windows1252.GetString(bytes[..1]));
            }
            bytes = bytes[consumed..];
        }
        var s = text.ToString();
        return s.Length > 0 && s[0] == '\uFEFF' ? s[1..] : s;
    }
}
