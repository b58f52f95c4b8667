using System.Text;
using DmarcAnalyzer.Reports;
using MimeKit;

namespace DmarcAnalyzer.Mail;

/// <summary>
/// Removes every attachment from a message and adds one text/plain attachment that lists what was removed (name,
/// type, decoded size). Used by the milter's rule for forged senders (issue 7, rule 3).
/// </summary>
/// <remarks>
/// The rewrite edits MimeKit's tree in place and lets MimeKit write it: parts left alone are written as parsed
/// (their raw header fields, their content still encoded as received, the boundary lines, preamble and epilogue
/// it kept), so only the multiparts that lost a part change. A message/rfc822 part counts as removable when it is
/// an attachment or carries one: its inner attachments cannot be cut out without re-encoding it. A nested
/// multipart left without parts is dropped, since RFC 2046 §5.1.1 requires at least one. The list goes at the end
/// of a top-level multipart/mixed; any other top level is wrapped in a new multipart/mixed with the list beside
/// it, which is the one case that changes top-level header fields.
/// </remarks>
internal static class AttachmentStripper
{
    private const string UnnamedLabel = "(unnamed)";
    private const int MaxListedNameLength = 255;

    /// <summary>Edits <paramref name="parsed"/>'s tree; the message is not to be used after.</summary>
    public static StrippedMessage Strip(ParsedMessage parsed, string listFileName, CancellationToken ct)
    {
        var message = parsed.Message;
        var removed = new List<RemovedAttachment>();
        CollectRemoved(parsed, message.Body, removed, ct);
        if (removed.Count == 0 || message.Body is null)
            return new StrippedMessage([], [], null);

        var format = FormatFor(message);
        var listPart = BuildListPart(removed, listFileName);
        if (message.Body is Multipart top && top.Count > 0 && top.ContentType.IsMimeType("multipart", "mixed"))
        {
            Prune(parsed, top);
            top.Add(listPart);
            return new StrippedMessage(removed, [], Write(top, format, ct));
        }

        var wrapper = new Multipart("mixed");
        if (!IsRemoved(parsed, message.Body) && message.Body is Multipart original && KeepsSomething(parsed, original))
        {
            // The original top level (a multipart other than mixed) becomes the first part of the wrapper.
            Prune(parsed, original);
            wrapper.Add(original);
        }
        wrapper.Add(listPart);

        var changes = new List<(string Name, string? Value)> { ("Content-Type", $"multipart/mixed; boundary=\"{wrapper.Boundary}\"") };
        // MimeKit keeps a message's Content- fields with its top-level entity, not among the message's own.
        foreach (var name in message.Body.Headers.Select(h => h.Field)
                     .Where(n => n.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) && !n.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                     .Distinct(StringComparer.OrdinalIgnoreCase))
            changes.Add((name, null));
        if (!message.Headers.Contains(HeaderId.MimeVersion))
            changes.Add(("MIME-Version", "1.0"));
        return new StrippedMessage(removed, changes, Write(wrapper, format, ct));
    }

    /// <summary>
    /// Attachments, messages carrying attachments, and multiparts whose parts could not be found (a boundary that
    /// never appears): a reader more lenient than RFC 2046 might still find attachments in those.
    /// </summary>
    private static bool IsRemoved(ParsedMessage parsed, MimeEntity entity) =>
        MimeEntityFacts.CountsAsAttachment(entity)
        || (parsed.EmbeddedMessage(entity) is { } inner && parsed.Descendants(inner.Body).Any(MimeEntityFacts.CountsAsAttachment))
        || (entity is Multipart { Count: 0 } empty && !string.IsNullOrWhiteSpace(empty.Preamble));

    /// <summary>Whether a multipart still has a part once removable ones (and multiparts left empty) are gone.</summary>
    private static bool KeepsSomething(ParsedMessage parsed, Multipart multipart) =>
        multipart.Any(c => !IsRemoved(parsed, c) && (c is not Multipart { Count: > 0 } inner || KeepsSomething(parsed, inner)));

    private static void CollectRemoved(ParsedMessage parsed, MimeEntity? entity, List<RemovedAttachment> removed, CancellationToken ct)
    {
        if (entity is null)
            return;
        if (IsRemoved(parsed, entity))
        {
            var size = entity is Multipart empty ? empty.Preamble?.Length ?? 0 : MimeEntityFacts.DecodedContent(entity, ct).LongLength;
            removed.Add(new RemovedAttachment(MimeEntityFacts.FileNameOf(entity) ?? "", MimeEntityFacts.MimeTypeOf(entity), size));
            return;
        }
        if (entity is Multipart multipart)
            foreach (var child in multipart)
                CollectRemoved(parsed, child, removed, ct);
    }

    private static void Prune(ParsedMessage parsed, Multipart multipart)
    {
        for (var i = multipart.Count - 1; i >= 0; i--)
        {
            var child = multipart[i];
            if (IsRemoved(parsed, child) || (child is Multipart { Count: > 0 } inner && !KeepsSomething(parsed, inner)))
                multipart.RemoveAt(i);
            else if (child is Multipart nested)
                Prune(parsed, nested);
        }
    }

    private static MimePart BuildListPart(List<RemovedAttachment> removed, string listFileName)
    {
        var text = new StringBuilder();
        text.Append("The following attachments were removed from this message:").Append("\r\n\r\n");
        foreach (var attachment in removed)
        {
            // The sender chose the name: one line, no controls, no bidi overrides ("invoice\u202Egpj.exe" must not read as a .jpg).
            var name = attachment.FileName.Length == 0 ? UnnamedLabel : SafeText.Line(attachment.FileName, MaxListedNameLength);
            text.Append($"- {name} ({attachment.MimeType}, {attachment.Size} bytes)\r\n");
        }
        var part = new TextPart("plain")
        {
            FileName = listFileName,
            ContentTransferEncoding = ContentEncoding.Base64,
        };
        part.SetText(Encoding.UTF8, text.ToString());
        part.ContentDisposition!.Disposition = ContentDisposition.Attachment;
        return part;
    }

    /// <summary>The line breaks the message came with (CRLF from SMTP, LF from a file), so kept parts are written unchanged.</summary>
    private static FormatOptions FormatFor(MimeMessage message)
    {
        var format = FormatOptions.Default.Clone();
        var first = message.Headers.Concat(message.Body?.Headers ?? []).FirstOrDefault()?.RawValue ?? [];
        format.NewLineFormat = first.Length > 0 && first[^1] == '\n' && (first.Length < 2 || first[^2] != '\r')
            ? NewLineFormat.Unix
            : NewLineFormat.Dos;
        return format;
    }

    private static byte[] Write(Multipart body, FormatOptions format, CancellationToken ct)
    {
        using var output = new MemoryStream();
        body.WriteTo(format, output, contentOnly: true, ct);
        return output.ToArray();
    }
}
