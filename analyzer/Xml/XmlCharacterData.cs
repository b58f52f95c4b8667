using System.Buffers;
using System.Text;

namespace DmarcAnalyzer.Xml;

/// <summary>
/// Turns the raw UTF-8 of text or a CDATA section into what the document means: references replaced
/// (text only) and line ends normalised, CR LF and a lone CR both to LF (XML 1.0 §2.11).
/// </summary>
internal static class XmlCharacterData
{
    private static readonly SearchValues<byte> ReferenceOrCarriageReturn = SearchValues.Create("&\r"u8);

    /// <summary>
    /// Decodes <paramref name="raw"/>, which the reader has checked (valid UTF-8, every reference valid), into
    /// <paramref name="destination"/>: at least <c>raw.Length</c> chars, as no construct decodes to more chars
    /// than it has bytes. Returns the number of chars written.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> raw, bool references, Span<char> destination)
    {
        var written = 0;
        while (true)
        {
            var special = references ? raw.IndexOfAny(ReferenceOrCarriageReturn) : raw.IndexOf((byte)'\r');
            // Cut only at ASCII bytes, so no UTF-8 sequence is split.
            written += Encoding.UTF8.GetChars(special < 0 ? raw : raw[..special], destination[written..]);
            if (special < 0)
                return written;
            if (raw[special] == '\r')
            {
                destination[written++] = '\n';
                raw = raw[(special + (raw[(special + 1)..] is [(byte)'\n', ..] ? 2 : 1))..];
            }
            else
            {
                var length = XmlReferences.Read(raw[special..], out var value);
                written += value.EncodeToUtf16(destination[written..]);
                raw = raw[(special + length)..];
            }
        }
    }
}
