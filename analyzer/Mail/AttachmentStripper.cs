using System.Security.Cryptography;
using System.Text;

namespace DmarcAnalyzer.Mail;

/// <summary>
/// Removes every attachment from a message and adds one text/plain attachment that lists what was removed (name,
/// type, decoded size), keeping the rest of the MIME structure byte for byte. Used by the milter's rule for forged
/// senders (issue 7, rule 3).
/// </summary>
/// <remarks>
/// Kept parts are copied as received, so their encodings and signatures-in-part stay intact; only the multipart
/// bodies that lost a part are re-joined with their own boundary (RFC 2046 §5.1.1). A message/rfc822 part counts
/// as removable when it is an attachment or carries one: its inner attachments cannot be cut out without
/// re-encoding it. A nested multipart left without parts is dropped, since RFC 2046 §5.1.1 requires at least one.
/// The list goes at the end of a top-level multipart/mixed; any other top level is wrapped in a new
/// multipart/mixed with the list beside it, which is the one case that changes top-level headers.
/// </remarks>
internal static class AttachmentStripper
{
    private const string UnnamedLabel = "(unnamed)";

    public static StrippedMessage Strip(MimeEntity message, string listFileName = "removed-attachments.txt")
    {
        var removed = new List<RemovedAttachment>();
        CollectRemoved(message, removed);
        if (removed.Count == 0)
            return new StrippedMessage([], [], message.RawBody.ToArray());

        var newLine = DetectNewLine(message.RawHeaderBlock.Span);
        var output = new MimeWriter(newLine);
        var listPart = BuildListPart(removed, listFileName, newLine);
        if (message.IsMultipart && message.Children.Count > 0 && message.ContentType.Is("multipart", "mixed"))
        {
            WriteMultipartBody(message, output, listPart);
            return new StrippedMessage(removed, [], output.ToArray());
        }

        var boundary = NewBoundary(message);
        var changes = new List<(string Name, string? Value)> { ("Content-Type", $"multipart/mixed; boundary=\"{boundary}\"") };
        var contentFields = message.Headers.Where(IsContentField).ToList();
        foreach (var name in contentFields.Select(h => h.Name).Where(n => !n.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                     .Distinct(StringComparer.OrdinalIgnoreCase))
            changes.Add((name, null));
        if (message.Headers["MIME-Version"] is null)
            changes.Add(("MIME-Version", "1.0"));

        if (!IsRemoved(message) && KeepsSomething(message))
        {
            // The original top level (a multipart other than mixed) becomes the first part of the wrapper.
            output.Line("--" + boundary);
            foreach (var field in contentFields)
                output.Raw(field.Raw.Span, ensureLineEnd: true);
            output.Line("");
            WriteMultipartBody(message, output, listPart: null);
            output.Line("");
        }
        output.Line("--" + boundary);
        output.Raw(listPart, ensureLineEnd: false);
        output.Line("");
        output.Line("--" + boundary + "--");
        return new StrippedMessage(removed, changes, output.ToArray());
    }

    private static bool IsContentField(Header header) =>
        header.Name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Attachments, messages carrying attachments, and multiparts whose parts could not be found (no boundary, or
    /// a boundary that never appears): a reader more lenient than RFC 2046 might still find attachments in those.
    /// </summary>
    private static bool IsRemoved(MimeEntity entity) =>
        entity.IsAttachment
        || (entity.EmbeddedMessage?.Descendants().Any(d => d.IsAttachment) ?? false)
        || (entity.IsMultipart && entity.Children.Count == 0 && !entity.RawBody.Span.Trim(" \t\r\n"u8).IsEmpty);

    private static bool HasParts(MimeEntity entity) => entity.IsMultipart && entity.Children.Count > 0;

    /// <summary>Whether a multipart still has a part once removable ones (and multiparts left empty) are gone.</summary>
    private static bool KeepsSomething(MimeEntity multipart) =>
        multipart.Children.Any(c => !IsRemoved(c) && (!HasParts(c) || KeepsSomething(c)));

    private static void CollectRemoved(MimeEntity entity, List<RemovedAttachment> removed)
    {
        if (IsRemoved(entity))
        {
            removed.Add(new RemovedAttachment(entity.FileName ?? "", entity.ContentType.MimeType, entity.DecodedLength));
            return;
        }
        foreach (var child in entity.Children)
            CollectRemoved(child, removed);
    }

    private static void WriteMultipartBody(MimeEntity multipart, MimeWriter output, byte[]? listPart)
    {
        var boundary = multipart.ContentType.Boundary!;
        foreach (var child in multipart.Children)
        {
            if (IsRemoved(child) || (HasParts(child) && !KeepsSomething(child)))
                continue;
            output.Line("--" + boundary);
            output.Raw(child.RawHeaderBlock.Span, ensureLineEnd: true);
            output.Line("");
            if (HasParts(child) && child.Descendants().Any(IsRemoved))
                WriteMultipartBody(child, output, listPart: null);
            else
                output.Raw(child.RawBody.Span, ensureLineEnd: false);
            output.Line("");
        }
        if (listPart is not null)
        {
            output.Line("--" + boundary);
            output.Raw(listPart, ensureLineEnd: false);
            output.Line("");
        }
        output.Line("--" + boundary + "--");
    }

    private static byte[] BuildListPart(List<RemovedAttachment> removed, string listFileName, string newLine)
    {
        var text = new StringBuilder();
        text.Append("The following attachments were removed from this message:").Append("\r\n\r\n");
        foreach (var attachment in removed)
        {
            var name = attachment.FileName.Length == 0 ? UnnamedLabel : Printable(attachment.FileName);
            text.Append($"- {name} ({attachment.MimeType}, {attachment.Size} bytes)\r\n");
        }
        var part = new StringBuilder();
        part.Append($"Content-Type: text/plain; charset=utf-8; {FileNameParameter("name", listFileName)}").Append(newLine);
        part.Append($"Content-Disposition: attachment; {FileNameParameter("filename", listFileName)}").Append(newLine);
        part.Append("Content-Transfer-Encoding: base64").Append(newLine);
        part.Append(newLine);
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(text.ToString()));
        // RFC 2045 §6.8: encoded lines of at most 76 characters.
        for (var i = 0; i < encoded.Length; i += 76)
        {
            if (i > 0)
                part.Append(newLine);
            part.Append(encoded, i, Math.Min(76, encoded.Length - i));
        }
        return Encoding.ASCII.GetBytes(part.ToString());
    }

    /// <summary>A plain quoted value when it is printable ASCII, else RFC 2231 §4 <c>name*=utf-8''%XX</c>.</summary>
    private static string FileNameParameter(string parameter, string fileName)
    {
        if (fileName.All(c => c is >= ' ' and < (char)127 and not '"' and not '\\'))
            return $"{parameter}=\"{fileName}\"";
        var encoded = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(fileName))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'-' or (byte)'_')
                encoded.Append((char)b);
            else
                encoded.Append('%').Append(b.ToString("X2"));
        }
        return $"{parameter}*=utf-8''{encoded}";
    }

    private static string Printable(string name) =>
        new(name.Select(c => char.IsControl(c) ? ' ' : c).ToArray());

    private static string NewBoundary(MimeEntity message)
    {
        while (true)
        {
            var boundary = "=_removed_" + RandomNumberGenerator.GetHexString(24, lowercase: true);
            if (message.RawBody.Span.IndexOf(Encoding.ASCII.GetBytes(boundary)) < 0)
                return boundary;
        }
    }

    private static string DetectNewLine(ReadOnlySpan<byte> headerBlock) =>
        headerBlock.IndexOf("\r\n"u8) >= 0 || headerBlock.IndexOf((byte)'\n') < 0 ? "\r\n" : "\n";

    private sealed class MimeWriter(string newLine)
    {
        private readonly MemoryStream _stream = new();
        private readonly byte[] _newLine = Encoding.ASCII.GetBytes(newLine);

        public void Line(string text)
        {
            _stream.Write(Encoding.UTF8.GetBytes(text));
            _stream.Write(_newLine);
        }

        public void Raw(ReadOnlySpan<byte> bytes, bool ensureLineEnd)
        {
            _stream.Write(bytes);
            if (ensureLineEnd && bytes.Length > 0 && bytes[^1] != '\n')
                _stream.Write(_newLine);
        }

        public byte[] ToArray() => _stream.ToArray();
    }
}
