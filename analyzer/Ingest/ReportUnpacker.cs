using System.IO.Compression;
using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Failure;
using MimeKit;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// Opens the containers reports travel in (gzip, zip, e-mail, and these nested) down to the report: aggregate XML,
/// SMTP TLS JSON, or an ARF failure report (the e-mail itself), every step bounded by <see cref="IngestLimits"/>. Members of a container that are not reports (a README in a zip,
/// the text part of an e-mail) are passed over; a container that holds no report at all is a failure.
/// </summary>
internal static class ReportUnpacker
{
    public static async Task<IReadOnlyList<ExtractedPiece>> UnpackAsync(
        ReadOnlyMemory<byte> input, IngestLimits limits, CancellationToken ct)
    {
        var unpacking = new Unpacking(limits, ct);
        await UnpackAsync(input, "", 0, unpacking);
        return unpacking.Pieces;
    }

    /// <summary>
    /// One input's unpacking: what it yielded, and what may still be inflated. The budget is shared by every
    /// container in the tree, so nesting (a zip of gzips of zips) cannot multiply it.
    /// </summary>
    private sealed class Unpacking(IngestLimits limits, CancellationToken ct)
    {
        public IngestLimits Limits { get; } = limits;
        public CancellationToken Ct { get; } = ct;
        public List<ExtractedPiece> Pieces { get; } = [];
        public long Inflatable { get; set; } = limits.MaxInflatedBytes;
    }

    private static async Task UnpackAsync(
        ReadOnlyMemory<byte> data, string where, int depth, Unpacking u)
    {
        u.Ct.ThrowIfCancellationRequested();
        if (depth > u.Limits.MaxContainerDepth)
        {
            u.Pieces.Add(new ExtractionFailure(where, $"containers nested more than {u.Limits.MaxContainerDepth} deep"));
            return;
        }
        try
        {
            switch (ContainerSniffer.Sniff(data.Span))
            {
                case ContainerKind.Xml:
                    u.Pieces.Add(new ExtractedXml(where, data));
                    break;
                case ContainerKind.Gzip:
                    await UnpackAsync(Gunzip(data, u), where, depth + 1, u);
                    break;
                case ContainerKind.Zip:
                    await UnzipAsync(data, where, depth, u);
                    break;
                case ContainerKind.Email:
                    await UnpackEmailAsync(data, where, depth, u);
                    break;
                case ContainerKind.Empty:
                    u.Pieces.Add(new ExtractionFailure(where, "the input is empty (0 bytes)"));
                    break;
                case ContainerKind.Json:
                    u.Pieces.Add(new ExtractedTlsJson(where, data));
                    break;
                default:
                    u.Pieces.Add(new ExtractionFailure(where, $"not a DMARC report: {InputPreview.Describe(data.Span)}"));
                    break;
            }
        }
        catch (ReportFormatException e)
        {
            u.Pieces.Add(new ExtractionFailure(where, e.Message));
        }
    }

    /// <summary>True when <paramref name="data"/> may hold a report, so that a container member is worth opening.</summary>
    private static bool MayHoldReport(ReadOnlySpan<byte> data) =>
        ContainerSniffer.Sniff(data) is ContainerKind.Xml or ContainerKind.Gzip or ContainerKind.Zip or ContainerKind.Json;

    private static ReadOnlyMemory<byte> Gunzip(ReadOnlyMemory<byte> data, Unpacking u)
    {
        // Concatenated members are read as one stream, and bytes after the last member (a CRLF that a
        // mailer added) are ignored. A truncated stream yields truncated XML, which the parser reports.
        using var gzip = new GZipStream(MemoryStreams.Open(data), CompressionMode.Decompress);
        try
        {
            return BoundedRead(gzip, u, "gzip stream");
        }
        catch (InvalidDataException e)
        {
            throw new ReportFormatException("the gzip stream is damaged: its compressed data cannot be inflated", e);
        }
    }

    private static async Task UnzipAsync(
        ReadOnlyMemory<byte> data, string where, int depth, Unpacking u)
    {
        var count = ZipEntryCount.Of(data.Span, u.Limits.MaxZipEntries);
        if (count is not null && count.Entries > u.Limits.MaxZipEntries)
            throw new ReportFormatException(count.AtLeast
                ? $"the zip archive has more than {u.Limits.MaxZipEntries:N0} entries, the most read (Ingest:MaxZipEntries)"
                : $"the zip archive has {count.Entries:N0} entries, more than the {u.Limits.MaxZipEntries:N0} read (Ingest:MaxZipEntries)");
        ZipArchive archive;
        IReadOnlyList<ZipArchiveEntry> entries;
        try
        {
            archive = new ZipArchive(MemoryStreams.Open(data), ZipArchiveMode.Read);
            entries = archive.Entries;
        }
        catch (InvalidDataException e)
        {
            throw new ReportFormatException("the zip archive is damaged: its central directory cannot be read (truncated?)", e);
        }
        using (archive)
        {
            var before = u.Pieces.Count;
            var skipped = new List<string>();
            var index = 0;
            foreach (var entry in entries)
            {
                index++;
                if (entry.FullName.EndsWith('/'))
                    continue;
                var name = entry.FullName.Length > 0 ? entry.FullName : $"entry {index}";
                if (entry.IsEncrypted)
                {
                    u.Pieces.Add(new ExtractionFailure(Join(where, name), "the zip entry is encrypted (password-protected)"));
                    continue;
                }
                ReadOnlyMemory<byte> content;
                try
                {
                    await using var stream = await entry.OpenAsync(u.Ct);
                    content = BoundedRead(stream, u, "zip archive");
                }
                catch (InvalidDataException)
                {
                    u.Pieces.Add(new ExtractionFailure(Join(where, name), DamagedEntry(count?.Methods.ElementAtOrDefault(index - 1))));
                    continue;
                }
                if (MayHoldReport(content.Span))
                    await UnpackAsync(content, Join(where, name), depth + 1, u);
                else
                    skipped.Add(name);
            }
            if (u.Pieces.Count == before)
                u.Pieces.Add(new ExtractionFailure(where, skipped.Count == 0
                    ? "the zip archive is empty"
                    : $"the zip archive holds no XML report (entries: {string.Join(", ", skipped.Take(5))}{(skipped.Count > 5 ? ", …" : "")})"));
        }
    }

    /// <summary>
    /// What is wrong with a zip entry that cannot be read: .NET says "unsupported compression method" for a damaged
    /// deflate stream too, so the method the entry names decides (APPNOTE 4.4.5).
    /// </summary>
    private static string DamagedEntry(int? method) => method switch
    {
        null or 0 or 8 or 9 => "the zip entry is damaged: its data cannot be read or inflated",
        int other => $"the zip entry is compressed with method {other}{MethodName(other)}, which is not supported (only stored and deflate are)",
    };

    private static string MethodName(int method) => method switch
    {
        12 => " (bzip2)",
        14 => " (LZMA)",
        93 => " (Zstandard)",
        95 => " (xz)",
        98 => " (PPMd)",
        _ => "",
    };

    /// <summary>
    /// Every leaf part of the message that holds a report, whatever its declared type: senders label
    /// gzip and zip attachments application/octet-stream, text/xml and worse. HTML bodies are passed over.
    /// </summary>
    private static async Task UnpackEmailAsync(
        ReadOnlyMemory<byte> data, string where, int depth, Unpacking u)
    {
        ParsedMessage message;
        try
        {
            message = await BoundedMimeParser.ParseAsync(MemoryStreams.Open(data), MimeLimits.Default with { MaxMessageBytes = u.Limits.MaxInputBytes }, u.Ct);
        }
        catch (MimeFormatException e)
        {
            throw new ReportFormatException($"the e-mail cannot be read: {e.Message}", e);
        }
        if (FailureReportReader.IsArf(message.Message))
        {
            u.Pieces.Add(new ExtractedArf(where, message.Message, data));
            return;
        }
        var before = u.Pieces.Count;
        var passedOver = new List<string>();
        foreach (var part in message.Descendants())
        {
            if (part is Multipart || message.EmbeddedMessage(part) is not null)
                continue;
            if (part.ContentType.IsMimeType("message", "feedback-report"))
                throw new ReportFormatException(
                    "a DMARC failure report (ARF) forwarded inside another message: ingest the attached report itself");
            var content = MimeEntityFacts.DecodedContent(part, u.Ct);
            var name = MimeEntityFacts.FileNameOf(part);
            var type = MimeEntityFacts.MimeTypeOf(part);
            if (HoldsReport(part, content))
                await UnpackAsync(content, Join(where, name ?? type), depth + 1, u);
            else if (DeclaredArchive.Of(name, type) is { } archive)
                u.Pieces.Add(new ExtractionFailure(Join(where, name ?? type),
                    $"the {archive} attachment is damaged: its content is not a {archive} archive ({InputPreview.Describe(content)})"));
            else
                passedOver.Add(MimeEntityFacts.Describe(part));
        }
        if (u.Pieces.Count == before)
            u.Pieces.Add(new ExtractionFailure(where, IsProseReport(message.Message)
                ? "a multipart/report with no message/feedback-report part: a failure report written as prose (as Exim sends), " +
                  "not ARF (RFC 5965, RFC 6591); its fields cannot be read reliably"
                : $"the e-mail carries no DMARC report (parts: {string.Join(", ", passedOver.Take(5))})"));
    }

    private static bool HoldsReport(MimeEntity part, ReadOnlySpan<byte> content) => ContainerSniffer.Sniff(content) switch
    {
        ContainerKind.Gzip or ContainerKind.Zip => true,
        ContainerKind.Xml => !part.ContentType.IsMimeType("text", "html") && content.IndexOf("feedback"u8) >= 0,
        // RFC 8460 section 5.3: application/tlsrpt+json (or +gzip, above); senders also label it application/json,
        // application/octet-stream or text/plain, so a JSON part naming the report's first member is one too.
        ContainerKind.Json => part.ContentType.MediaSubtype.StartsWith("tlsrpt", StringComparison.OrdinalIgnoreCase)
                              || content.IndexOf("\"organization-name\""u8) >= 0,
        _ => false,
    };

    /// <summary>
    /// A multipart/report (RFC 6522) of no report-type or feedback-report whose report part is missing: Exim's DMARC
    /// forensic report, in prose. Delivery status notifications and TLS reports name their own report-type.
    /// </summary>
    private static bool IsProseReport(MimeMessage message) =>
        message.Body is Multipart { ContentType: var type } && type.IsMimeType("multipart", "report")
        && type.Parameters["report-type"] is null or { Length: 0 } or "feedback-report";

    /// <summary>Reads a decompressing stream to its end, within what the input may still inflate to (bombs).</summary>
    private static ReadOnlyMemory<byte> BoundedRead(Stream source, Unpacking u, string what)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = source.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (n > u.Inflatable)
                throw new ReportFormatException(
                    $"the {what} inflates to more than {u.Limits.MaxInflatedBytes / (1024 * 1024):N0} MB in all (a decompression bomb?); " +
                    "limit Ingest:MaxInflatedBytes");
            u.Inflatable -= n;
            buffer.Write(chunk, 0, n);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    public static string Join(string where, string name) =>
        where.Length == 0 ? name : name.Length == 0 ? where : $"{where} › {name}";
}
