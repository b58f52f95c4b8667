namespace DmarcAnalyzer.Xml;

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

    /// <summary>
    /// The flags of each byte value, as constant data: the JIT then knows its length is 256 and checks no
    /// index made from a byte. A test derives it again from the rules above.
    /// </summary>
    public static ReadOnlySpan<byte> Table =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 0, 0, 12, 0, 0, // 0x00
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x10
        4, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 1, 1, 0, // 0x20
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 0, 0, 0, 8, 0, // 0x30
        0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // 0x40
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 3, // 0x50
        0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // 0x60
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0, // 0x70
        11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, // 0x80
        11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, // 0x90
        11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, // 0xA0
        11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, // 0xB0
        11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, // 0xC0
        11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, // 0xD0
        11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, // 0xE0
        11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, // 0xF0
    ];
}
