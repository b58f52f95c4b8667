using System.Text;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// Says what an input that is no report is, for its failure reason: a format named by its signature where it is a
/// common one, and always the start of it as a person can read it (printable ASCII, anything else as '·'), then the
/// first bytes in hex for whoever needs them.
/// </summary>
internal static class InputPreview
{
    private const int PreviewBytes = 40;
    private const int HexBytes = 8;

    private static readonly (byte[] Signature, string Name)[] Formats =
    [
        ("%PDF-"u8.ToArray(), "a PDF document"),
        ([0x89, (byte)'P', (byte)'N', (byte)'G'], "a PNG image"),
        ([0xFF, 0xD8, 0xFF], "a JPEG image"),
        ("GIF8"u8.ToArray(), "a GIF image"),
        ([(byte)'7', (byte)'z', 0xBC, 0xAF, 0x27, 0x1C], "a 7z archive"),
        ("Rar!"u8.ToArray(), "a RAR archive"),
        ("BZh"u8.ToArray(), "a bzip2 stream"),
        ([0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0], "an xz stream"),
        ([0x28, 0xB5, 0x2F, 0xFD], "a Zstandard stream"),
        ([0xD0, 0xCF, 0x11, 0xE0], "an OLE compound file (an old Office document?)"),
        ("MZ"u8.ToArray(), "a Windows executable"),
        ([0x7F, (byte)'E', (byte)'L', (byte)'F'], "an ELF executable"),
    ];

    /// <summary>"this is a PDF document, not ...", or "neither XML, gzip, zip nor an e-mail", with the preview.</summary>
    public static string Describe(ReadOnlySpan<byte> data)
    {
        var what = "neither XML, gzip, zip nor an e-mail";
        foreach (var (signature, name) in Formats)
        {
            if (data.StartsWith(signature))
            {
                what = $"this is {name}";
                break;
            }
        }
        return $"{what}; it starts \"{Printable(data[..Math.Min(PreviewBytes, data.Length)])}\"{(data.Length > PreviewBytes ? "…" : "")} " +
            $"(bytes {Convert.ToHexString(data[..Math.Min(HexBytes, data.Length)])})";
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
            text.Append(b is >= 0x20 and < 0x7F ? (char)b : '·');
        return text.ToString();
    }
}
