using System.Text;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace DmarcAnalyzer.Xml;

/// <summary>
/// Brings an XML document to UTF-8 for <see cref="Utf8XmlReader"/>: UTF-16 and UTF-32 by their byte order mark or
/// the width of their first character (XML 1.0 Appendix F), any other encoding by what its declaration names, and
/// bytes that claim UTF-8 but are not quite it (real reporters write windows-1252 into UTF-8 documents) leniently.
/// Byte order marks and white space before the first '&lt;' are dropped: real reporters send them, and XML 1.0 §2.8
/// wants the declaration first. A UTF-8 document, nearly every report, is returned as it is (sliced past that prefix).
/// </summary>
internal static partial class XmlUtf8
{
    private static readonly Encoding Utf32BigEndian = new UTF32Encoding(bigEndian: true, byteOrderMark: true);

    public static ReadOnlyMemory<byte> From(ReadOnlyMemory<byte> xml)
    {
        var bytes = xml.Span;
        if (WideEncoding(bytes) is { } wide)
            return Transcode(wide, bytes, declared: null);
        // A UTF-8 byte order mark says more than a declaration, and so does an 8-bit start of the document against a
        // declared UTF-16 or UTF-32 (XML 1.0 Appendix F; .NET's StringWriter writes "utf-16" into what is saved as UTF-8).
        var declared = DeclaredEncoding(bytes);
        if (declared is null || IsUtf8(declared) || bytes is [0xEF, 0xBB, 0xBF, ..] || IsWide(declared))
            return Utf8.IsValid(bytes) ? xml[MarkupStart(bytes)..] : Encoding.UTF8.GetBytes(LenientText.Decode(bytes).TrimStart(BeforeMarkup));
        Encoding encoding;
        try
        {
            encoding = Encoding.GetEncoding(declared);
        }
        catch (ArgumentException)
        {
            throw new XmlEncodingException($"the report could not be read: its declared encoding '{Shorten(declared)}' is not known");
        }
        catch (NotSupportedException)
        {
            // UTF-7 above all: .NET refuses it (SYSLIB0001), and no reporter has a reason to use it (also found by fuzzing: fuzz/crashes/xml).
            throw new XmlEncodingException($"the report could not be read: its declared encoding '{Shorten(declared)}' is not supported");
        }
        return Transcode(encoding, bytes, declared);
    }

    /// <summary>
    /// UTF-32 or UTF-16, by a byte order mark or by a first character ('&lt;' or white space) one of those widths
    /// (XML 1.0 Appendix F); null for an 8-bit start.
    /// </summary>
    public static Encoding? WideEncoding(ReadOnlySpan<byte> bytes) => bytes switch
    {
        [0xFF, 0xFE, 0, 0, ..] => Encoding.UTF32,
        [0, 0, 0xFE, 0xFF, ..] => Utf32BigEndian,
        [0xFF, 0xFE, ..] => Encoding.Unicode,
        [0xFE, 0xFF, ..] => Encoding.BigEndianUnicode,
        [var c, 0, 0, 0, ..] when OpensDocument(c) => Encoding.UTF32,
        [0, 0, 0, var c, ..] when OpensDocument(c) => Utf32BigEndian,
        [var c, 0, ..] when OpensDocument(c) => Encoding.Unicode,
        [0, var c, ..] when OpensDocument(c) => Encoding.BigEndianUnicode,
        _ => null,
    };

    private static bool OpensDocument(byte c) => c is (byte)'<' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    /// <summary>What may come before the first '&lt;': byte order marks and XML white space (§2.3).</summary>
    private static readonly char[] BeforeMarkup = ['\uFEFF', ' ', '\t', '\r', '\n'];

    /// <summary>Where the markup starts in UTF-8: past byte order marks and white space.</summary>
    public static int MarkupStart(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (true)
        {
            if (bytes[i..] is [0xEF, 0xBB, 0xBF, ..])
                i += 3;
            else if (i < bytes.Length && bytes[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                i++;
            else
                return i;
        }
    }

    private static byte[] Transcode(Encoding encoding, ReadOnlySpan<byte> bytes, string? declared)
    {
        var text = encoding.GetString(bytes).TrimStart(BeforeMarkup);
        // The declaration was read as ASCII: an encoding in which it reads otherwise (EBCDIC) contradicts itself.
        if (declared is not null && !text.StartsWith("<?xml", StringComparison.Ordinal))
            throw new XmlEncodingException(
                $"the report could not be read: its declared encoding '{Shorten(declared)}' is not the one its declaration is written in");
        return Encoding.UTF8.GetBytes(text);
    }

    private static bool IsWide(string name) =>
        name.StartsWith("utf-16", StringComparison.OrdinalIgnoreCase) || name.StartsWith("utf-32", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("ucs-", StringComparison.OrdinalIgnoreCase) || name.Equals("unicode", StringComparison.OrdinalIgnoreCase);

    private static bool IsUtf8(string name) =>
        name.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || name.Equals("utf8", StringComparison.OrdinalIgnoreCase);

    /// <summary>The encoding the XML declaration names (XML 1.0 §4.3.3), or null when it names none.</summary>
    private static string? DeclaredEncoding(ReadOnlySpan<byte> xml)
    {
        xml = xml[MarkupStart(xml)..];
        var start = Encoding.ASCII.GetString(xml[..Math.Min(xml.Length, 200)]);
        if (!start.StartsWith("<?xml", StringComparison.Ordinal))
            return null;
        var end = start.IndexOf("?>", StringComparison.Ordinal);
        var encoding = EncodingAttribute().Match(end < 0 ? start : start[..end]);
        return encoding.Success ? encoding.Groups[1].Value : null;
    }

    [GeneratedRegex(@"encoding\s*=\s*[""']([^""']+)[""']")]
    private static partial Regex EncodingAttribute();

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
