using System.Text;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace DmarcAnalyzer.Reports;

/// <summary>
/// Brings an XML document to UTF-8 for <see cref="Utf8XmlReader"/>: UTF-16 by its byte order mark or its first
/// '&lt;' (XML 1.0 Appendix F), any other encoding by what its declaration names, and bytes that claim UTF-8 but
/// are not quite it (real reporters write windows-1252 into UTF-8 documents) leniently. A UTF-8 document, nearly
/// every report, is returned as it is.
/// </summary>
internal static partial class XmlUtf8
{
    static XmlUtf8() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static ReadOnlyMemory<byte> From(ReadOnlyMemory<byte> xml)
    {
        var bytes = xml.Span;
        if (bytes is [0xFF, 0xFE, ..] or [(byte)'<', 0, ..])
            return Transcode(Encoding.Unicode, bytes);
        if (bytes is [0xFE, 0xFF, ..] or [0, (byte)'<', ..])
            return Transcode(Encoding.BigEndianUnicode, bytes);
        // A UTF-8 byte order mark says more than a declaration, and so does an 8-bit start of the document against a
        // declared UTF-16 or UTF-32 (XML 1.0 Appendix F; .NET's StringWriter writes "utf-16" into what is saved as UTF-8).
        var declared = DeclaredEncoding(bytes);
        if (declared is null || IsUtf8(declared) || bytes is [0xEF, 0xBB, 0xBF, ..] || IsWide(declared))
            return Utf8.IsValid(bytes) ? xml : Encoding.UTF8.GetBytes(LenientText.Decode(bytes));
        Encoding encoding;
        try
        {
            encoding = Encoding.GetEncoding(declared);
        }
        catch (ArgumentException)
        {
            throw new ReportFormatException($"the XML declares the encoding '{Shorten(declared)}', which is not known");
        }
        catch (NotSupportedException)
        {
            // .NET knows UTF-7 by all its names but refuses it (SYSLIB0001); found by fuzzing (fuzz/crashes/xml).
            throw new ReportFormatException($"the XML declares the encoding '{Shorten(declared)}', which is not supported");
        }
        return Transcode(encoding, bytes);
    }

    private static byte[] Transcode(Encoding encoding, ReadOnlySpan<byte> bytes) =>
        Encoding.UTF8.GetBytes(encoding.GetString(bytes).TrimStart('\uFEFF'));

    private static bool IsWide(string name) =>
        name.StartsWith("utf-16", StringComparison.OrdinalIgnoreCase) || name.StartsWith("utf-32", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("ucs-", StringComparison.OrdinalIgnoreCase) || name.Equals("unicode", StringComparison.OrdinalIgnoreCase);

    private static bool IsUtf8(string name) =>
        name.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || name.Equals("utf8", StringComparison.OrdinalIgnoreCase);

    /// <summary>The encoding the XML declaration names (XML 1.0 §4.3.3), or null when it names none.</summary>
    private static string? DeclaredEncoding(ReadOnlySpan<byte> xml)
    {
        if (xml is [0xEF, 0xBB, 0xBF, ..])
            xml = xml[3..];
        var start = Encoding.ASCII.GetString(xml[..Math.Min(xml.Length, 200)]).TrimStart();
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
