using MimeKit;

namespace DmarcAnalyzer.Mail;

/// <summary>What the filter and the ingest ask of a MIME entity, in the terms they use.</summary>
internal static class MimeEntityFacts
{
    /// <summary>Content-Disposition filename, else Content-Type name (RFC 2231 and RFC 2047 decoded by MimeKit); null when blank.</summary>
    public static string? FileNameOf(MimeEntity entity)
    {
        var name = entity.ContentDisposition?.FileName ?? entity.ContentType.Name;
        return string.IsNullOrWhiteSpace(name) ? null : name.Trim();
    }

    /// <summary>
    /// Disposition attachment, or a file name, or a non-text leaf not marked inline; a message/rfc822 part is one
    /// (a forwarded message) unless inline. MimeKit's own IsAttachment looks at the disposition only, and report
    /// senders and malware alike send unnamed application/zip parts without one.
    /// </summary>
    public static bool CountsAsAttachment(MimeEntity entity)
    {
        if (entity is Multipart)
            return false;
        var disposition = entity.ContentDisposition?.Disposition;
        return string.Equals(disposition, ContentDisposition.Attachment, StringComparison.OrdinalIgnoreCase)
               || FileNameOf(entity) is not null
               || (!entity.ContentType.MediaType.Equals("text", StringComparison.OrdinalIgnoreCase)
                   && !string.Equals(disposition, ContentDisposition.Inline, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The content with its Content-Transfer-Encoding undone; a message part's message as it would be written.</summary>
    public static byte[] DecodedContent(MimeEntity entity, CancellationToken ct)
    {
        using var output = new MemoryStream();
        switch (entity)
        {
            case MimePart { Content: { } content }:
                content.DecodeTo(output, ct);
                break;
            case MessagePart { Message: { } message }:
                message.WriteTo(output, ct);
                break;
        }
        return output.ToArray();
    }

    /// <summary>"type/subtype" lower-cased.</summary>
    public static string MimeTypeOf(MimeEntity entity) => entity.ContentType.MimeType.ToLowerInvariant();

    public static string Describe(MimeEntity entity) =>
        FileNameOf(entity) is { } name ? $"{MimeTypeOf(entity)} \"{name}\"" : MimeTypeOf(entity);
}
