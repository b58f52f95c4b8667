using System.IO.Compression;
using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Reports;

/// <summary>
/// Opens the containers reports travel in (gzip, zip, e-mail, and these nested) down to the XML, every step
/// bounded by <see cref="IngestLimits"/>. Members of a container that are not reports (a README in a zip,
/// the text part of an e-mail) are passed over; a container that holds no report at all is a failure.
/// </summary>
internal static class ReportUnpacker
{
    public static async Task<IReadOnlyList<ExtractedPiece>> UnpackAsync(
        ReadOnlyMemory<byte> input, IngestLimits limits, CancellationToken ct)
    {
        var pieces = new List<ExtractedPiece>();
        await UnpackAsync(input, "", 0, limits, pieces, ct);
        return pieces;
    }

    private static async Task UnpackAsync(
        ReadOnlyMemory<byte> data, string where, int depth, IngestLimits limits, List<ExtractedPiece> pieces, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (depth > limits.MaxContainerDepth)
        {
            pieces.Add(new ExtractionFailure(where, $"containers nested more than {limits.MaxContainerDepth} deep"));
            return;
        }
        try
        {
            switch (ContainerSniffer.Sniff(data.Span))
            {
                case ContainerKind.Xml:
                    pieces.Add(new ExtractedXml(where, data));
                    break;
                case ContainerKind.Gzip:
                    await UnpackAsync(Gunzip(data, limits), where, depth + 1, limits, pieces, ct);
                    break;
                case ContainerKind.Zip:
                    await UnzipAsync(data, where, depth, limits, pieces, ct);
                    break;
                case ContainerKind.Email:
                    await UnpackEmailAsync(data, where, depth, limits, pieces, ct);
                    break;
                case ContainerKind.Empty:
                    pieces.Add(new ExtractionFailure(where, "the input is empty (0 bytes)"));
                    break;
                case ContainerKind.Json:
                    pieces.Add(new ExtractionFailure(where,
                        "this is JSON (an SMTP TLS report, RFC 8460?), not a DMARC aggregate report"));
                    break;
                default:
                    pieces.Add(new ExtractionFailure(where,
                        $"not a DMARC report: neither XML, gzip, zip nor an e-mail (starts with {Describe(data.Span)})"));
                    break;
            }
        }
        catch (ReportFormatException e)
        {
            pieces.Add(new ExtractionFailure(where, e.Message));
        }
    }

    /// <summary>True when <paramref name="data"/> may hold a report, so that a container member is worth opening.</summary>
    private static bool MayHoldReport(ReadOnlySpan<byte> data) =>
        ContainerSniffer.Sniff(data) is ContainerKind.Xml or ContainerKind.Gzip or ContainerKind.Zip;

    private static ReadOnlyMemory<byte> Gunzip(ReadOnlyMemory<byte> data, IngestLimits limits)
    {
        // Concatenated members are read as one stream, and bytes after the last member (a CRLF that a
        // mailer added) are ignored. A truncated stream yields truncated XML, which the parser reports.
        using var gzip = new GZipStream(MemoryStreams.Open(data), CompressionMode.Decompress);
        try
        {
            return BoundedRead(gzip, limits.MaxInflatedBytes, "gzip stream");
        }
        catch (InvalidDataException e)
        {
            throw new ReportFormatException($"the gzip stream is corrupt: {e.Message}", e);
        }
    }

    private static async Task UnzipAsync(
        ReadOnlyMemory<byte> data, string where, int depth, IngestLimits limits, List<ExtractedPiece> pieces, CancellationToken ct)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(MemoryStreams.Open(data), ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw new ReportFormatException($"the zip archive is truncated or corrupt: {e.Message}", e);
        }
        using (archive)
        {
            if (archive.Entries.Count > limits.MaxZipEntries)
                throw new ReportFormatException(
                    $"the zip archive has {archive.Entries.Count:N0} entries, more than the {limits.MaxZipEntries:N0} read");
            var before = pieces.Count;
            var skipped = new List<string>();
            var budget = limits.MaxInflatedBytes;
            var index = 0;
            foreach (var entry in archive.Entries)
            {
                index++;
                if (entry.FullName.EndsWith('/'))
                    continue;
                var name = entry.FullName.Length > 0 ? entry.FullName : $"entry {index}";
                if (entry.IsEncrypted)
                {
                    pieces.Add(new ExtractionFailure(Join(where, name), "the zip entry is encrypted (password-protected)"));
                    continue;
                }
                ReadOnlyMemory<byte> content;
                try
                {
                    await using var stream = await entry.OpenAsync(ct);
                    content = BoundedRead(stream, budget, "zip archive");
                }
                catch (InvalidDataException e)
                {
                    pieces.Add(new ExtractionFailure(Join(where, name), $"the zip entry is corrupt: {e.Message}"));
                    continue;
                }
                budget -= content.Length;
                if (MayHoldReport(content.Span))
                    await UnpackAsync(content, Join(where, name), depth + 1, limits, pieces, ct);
                else
                    skipped.Add(name);
            }
            if (pieces.Count == before)
                pieces.Add(new ExtractionFailure(where, skipped.Count == 0
                    ? "the zip archive is empty"
                    : $"the zip archive holds no XML report (entries: {string.Join(", ", skipped.Take(5))}{(skipped.Count > 5 ? ", …" : "")})"));
        }
    }

    /// <summary>
    /// Every leaf part of the message that holds a report, whatever its declared type: senders label
    /// gzip and zip attachments application/octet-stream, text/xml and worse. HTML bodies are passed over.
    /// </summary>
    private static async Task UnpackEmailAsync(
        ReadOnlyMemory<byte> data, string where, int depth, IngestLimits limits, List<ExtractedPiece> pieces, CancellationToken ct)
    {
        MimeEntity message;
        try
        {
            message = await MimeParser.ParseAsync(MemoryStreams.Open(data), MimeLimits.Default with { MaxMessageBytes = limits.MaxInputBytes }, ct);
        }
        catch (MimeFormatException e)
        {
            throw new ReportFormatException($"the e-mail cannot be read: {e.Message}", e);
        }
        var before = pieces.Count;
        var passedOver = new List<string>();
        foreach (var part in message.Descendants())
        {
            if (part.IsMultipart || part.EmbeddedMessage is not null)
                continue;
            if (part.ContentType.Is("message", "feedback-report"))
                throw new ReportFormatException("this is a DMARC failure report (ARF, RFC 9991), not an aggregate report");
            var content = part.DecodedContent;
            if (HoldsReport(part, content.Span))
                await UnpackAsync(content, Join(where, part.FileName ?? part.ContentType.MimeType), depth + 1, limits, pieces, ct);
            else
                passedOver.Add(part.ToString());
        }
        if (pieces.Count == before)
            pieces.Add(new ExtractionFailure(where,
                $"the e-mail carries no DMARC report (parts: {string.Join(", ", passedOver.Take(5))})"));
    }

    private static bool HoldsReport(MimeEntity part, ReadOnlySpan<byte> content) => ContainerSniffer.Sniff(content) switch
    {
        ContainerKind.Gzip or ContainerKind.Zip => true,
        ContainerKind.Xml => !part.ContentType.Is("text", "html") && content.IndexOf("feedback"u8) >= 0,
        _ => false,
    };

    /// <summary>Reads a decompressing stream to its end, refusing more than <paramref name="max"/> bytes (bombs).</summary>
    private static ReadOnlyMemory<byte> BoundedRead(Stream source, long max, string what)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = source.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + n > max)
                throw new ReportFormatException(
                    $"the {what} inflates to more than {max / (1024 * 1024):N0} MB (a decompression bomb?); limit Ingest:MaxInflatedBytes");
            buffer.Write(chunk, 0, n);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    public static string Join(string where, string name) =>
        where.Length == 0 ? name : name.Length == 0 ? where : $"{where} › {name}";

    private static string Describe(ReadOnlySpan<byte> data)
    {
        var head = data[..Math.Min(8, data.Length)];
        return "bytes " + Convert.ToHexString(head);
    }
}
