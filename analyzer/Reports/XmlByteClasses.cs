namespace DmarcAnalyzer.Reports;

/// <summary>
/// What each byte can be in XML markup, as flags in a 256-entry table, so the reader's scanning loops cost a
/// load and a test a byte. A plain loop beats a vectorised search on the short names and values of a report,
/// and it is fully compiled on its first call, where the framework's search methods wait for re-compilation.
/// </summary>
internal static class XmlByteClasses
{
    /// <summary>May be in a name (XML 1.0 §2.3). Every non-ASCII byte may: UTF-8 is checked apart.</summary>
    public const byte Name = 1;

    /// <summary>May start a name.</summary>
    public const byte NameStart = 2;

    /// <summary>XML's white space, S (§2.3).</summary>
    public const byte Whitespace = 4;

    /// <summary>Takes text off the fast path: a reference, a CR to normalise, a possible "]]>", non-ASCII.</summary>
    public const byte TextSpecial = 8;

    /// <summary>The flags of each byte value.</summary>
    public static ReadOnlySpan<byte> Table => Flags;

    private static readonly byte[] Flags = Build();

    private static byte[] Build()
    {
        var table = new byte[256];
        for (var b = 0; b < 256; b++)
        {
            var c = (char)b;
            if (b >= 0x80)
                table[b] = Name | NameStart | TextSpecial;
            else if (char.IsAsciiLetter(c) || c is '_' or ':')
                table[b] = Name | NameStart;
            else if (char.IsAsciiDigit(c) || c is '-' or '.')
                table[b] = Name;
            if (c is ' ' or '\t' or '\r' or '\n')
                table[b] |= Whitespace;
            if (c is '&' or '\r' or '>')
                table[b] |= TextSpecial;
        }
        return table;
    }
}
