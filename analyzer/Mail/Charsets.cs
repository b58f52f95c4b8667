using System.Text;

namespace DmarcAnalyzer.Mail;

/// <summary>
/// Maps MIME charset names (RFC 2046 §4.1.2, IANA registry, plus the aliases real mailers write) to encodings.
/// Unknown names fall back to UTF-8, whose decoder replaces bad bytes with U+FFFD instead of failing.
/// </summary>
internal static class Charsets
{
    static Charsets() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static Encoding Utf8 { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public static string Decode(ReadOnlySpan<byte> bytes, string? charset) => GetOrUtf8(charset).GetString(bytes);

    public static Encoding GetOrUtf8(string? charset) => TryGet(charset) ?? Utf8;

    public static Encoding? TryGet(string? charset)
    {
        if (string.IsNullOrWhiteSpace(charset))
            return null;
        var name = charset.Trim().Trim('"', '\'').ToLowerInvariant();
        switch (name)
        {
            // 8-bit bytes under a us-ascii label are nearly always UTF-8; UTF-8 reads true ASCII unchanged.
            case "utf-8" or "utf8" or "us-ascii" or "ascii" or "ansi_x3.4-1968" or "unicode-1-1-utf-8":
                return Utf8;
            case "iso-8859-1" or "latin1" or "iso_8859-1" or "l1":
                return Encoding.Latin1;
            case "utf-16" or "utf-16le":
                return Encoding.Unicode;
            case "utf-16be":
                return Encoding.BigEndianUnicode;
            case "utf-32" or "utf-32le":
                return Encoding.UTF32;
            case "sjis" or "shift-jis" or "x-sjis" or "ms_kanji" or "windows-31j" or "cp932":
                name = "shift_jis";
                break;
            case "gbk" or "cp936":
                name = "gb2312";
                break;
        }
        var provided = CodePagesEncodingProvider.Instance.GetEncoding(name);
        if (provided is not null)
            return provided;
        var digits = name.StartsWith("windows-", StringComparison.Ordinal) ? name["windows-".Length..]
            : name.StartsWith("x-cp", StringComparison.Ordinal) ? name["x-cp".Length..]
            : name.StartsWith("cp", StringComparison.Ordinal) ? name["cp".Length..]
            : null;
        return digits is not null && int.TryParse(digits, out var codePage)
            ? CodePagesEncodingProvider.Instance.GetEncoding(codePage)
            : null;
    }
}
