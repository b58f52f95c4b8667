using System.IO.Compression;

namespace DmarcAnalyzer.Storage;

/// <summary>Raw report bytes as the store keeps them: gzip-compressed.</summary>
internal static class RawGzip
{
    public static byte[] Compress(ReadOnlySpan<byte> raw)
    {
        var buffer = new MemoryStream(raw.Length / 8 + 64);
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(raw);
        return buffer.ToArray();
    }
}
