namespace DmarcAnalyzer.Ingest;

/// <summary>
/// The archive an attachment claims to be by its file name or media type. The content decides what a part is; the
/// claim only tells a damaged report attachment ("the zip attachment is damaged") from a part that is no report.
/// </summary>
internal static class DeclaredArchive
{
    /// <returns>"zip", "gzip", or null when the part claims neither.</returns>
    public static string? Of(string? fileName, string mimeType)
    {
        if (fileName is not null)
        {
            if (fileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
                return "zip";
            if (fileName.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".gzip", StringComparison.OrdinalIgnoreCase))
                return "gzip";
        }
        return mimeType.ToLowerInvariant() switch
        {
            "application/zip" or "application/x-zip" or "application/x-zip-compressed" => "zip",
            "application/gzip" or "application/x-gzip" or "application/x-gunzip" or "application/gzip-compressed" => "gzip",
            _ => null,
        };
    }
}
