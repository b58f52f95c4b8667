using System.Text;

namespace DmarcAnalyzer.Xml;

/// <summary>
/// The references a document without a DTD may use: the five predefined entities (XML 1.0 §4.6) and
/// character references to Unicode scalar values (§4.1). Any other entity would need a declaration, and
/// declarations are refused with the DTD.
/// </summary>
internal static class XmlReferences
{
    /// <summary>Longer than any valid reference ("&amp;#x10FFFF;" with a few leading zeros).</summary>
    private const int MaxLength = 16;

    /// <summary>
    /// Reads the reference that starts at <paramref name="text"/>[0] (the '&amp;'): returns its length up to
    /// and including the ';', or 0 when it is not a predefined entity or a valid character reference.
    /// </summary>
    public static int Read(ReadOnlySpan<byte> text, out Rune value)
    {
        value = default;
        var end = text[..Math.Min(text.Length, MaxLength)].IndexOf((byte)';');
        if (end < 2)
            return 0;
        var name = text[1..end];
        if (name[0] == '#')
            return CharacterReference(name[1..], out value) ? end + 1 : 0;
        char? c = name switch
        {
            [(byte)'l', (byte)'t'] => '<',
            [(byte)'g', (byte)'t'] => '>',
            [(byte)'a', (byte)'m', (byte)'p'] => '&',
            [(byte)'q', (byte)'u', (byte)'o', (byte)'t'] => '"',
            [(byte)'a', (byte)'p', (byte)'o', (byte)'s'] => '\'',
            _ => null,
        };
        if (c is null)
            return 0;
        value = new Rune(c.Value);
        return end + 1;
    }

    private static bool CharacterReference(ReadOnlySpan<byte> digits, out Rune value)
    {
        value = default;
        var hex = digits is [(byte)'x', ..];
        if (hex)
            digits = digits[1..];
        if (digits.IsEmpty)
            return false;
        var code = 0;
        foreach (var d in digits)
        {
            var digit = d is >= (byte)'0' and <= (byte)'9' ? d - '0'
                : hex && d is >= (byte)'a' and <= (byte)'f' ? d - 'a' + 10
                : hex && d is >= (byte)'A' and <= (byte)'F' ? d - 'A' + 10
                : -1;
            if (digit < 0)
                return false;
            code = code * (hex ? 16 : 10) + digit;
            if (code > 0x10FFFF)
                return false;
        }
        // NUL is no XML character (§2.2); surrogates are no scalar values.
        if (code == 0 || !Rune.IsValid(code))
            return false;
        value = new Rune(code);
        return true;
    }
}
