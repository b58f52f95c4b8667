using DmarcAnalyzer.Xml;
namespace DmarcAnalyzer.Ingest;

/// <summary>What an input is, told from its first bytes: names and MIME types of reports lie too often.</summary>
internal enum ContainerKind
{
    Empty,
    Xml,
    Gzip,
    Zip,
    Email,
    Json,
    Unknown,
}

internal static class ContainerSniffer
{
    public static ContainerKind Sniff(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return ContainerKind.Empty;
        if (data is [0x1F, 0x8B, ..])
            return ContainerKind.Gzip;
        // Local file header, or the end-of-central-directory record of an empty archive.
        if (data is [(byte)'P', (byte)'K', 3, 4, ..] or [(byte)'P', (byte)'K', 5, 6, ..])
            return ContainerKind.Zip;
        if (XmlUtf8.WideEncoding(data) is not null)
            return ContainerKind.Xml;
        var text = data[XmlUtf8.MarkupStart(data)..];
        if (text is [(byte)'<', ..])
            return ContainerKind.Xml;
        if (text is [(byte)'{', ..])
            return ContainerKind.Json;
        return LooksLikeHeaderField(text) ? ContainerKind.Email : ContainerKind.Unknown;
    }

    /// <summary>RFC 5322 §2.2: a field name of printable ASCII but the colon, then a colon; or an mbox "From " line.</summary>
    private static bool LooksLikeHeaderField(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith("From "u8))
            return true;
        var limit = Math.Min(data.Length, 200);
        for (var i = 0; i < limit; i++)
        {
            var b = data[i];
            if (b == (byte)':')
                return i > 0;
            if (b is < 33 or > 126)
                return false;
        }
        return false;
    }
}
