using System.Runtime.InteropServices;

namespace DmarcAnalyzer.Mail;

/// <summary>
/// One MIME entity: the message itself, a part of a multipart, or the message inside a message/rfc822 part.
/// Its header block and body are slices of the buffer the parser read (no copies); decoded content is made on
/// first use and kept.
/// </summary>
internal sealed class MimeEntity
{
    private readonly byte[] _buffer;
    private readonly int _headerStart;
    private readonly int _headerEnd;
    private readonly int _bodyStart;
    private readonly int _end;
    private byte[]? _decoded;

    internal MimeEntity(
        byte[] buffer, int headerStart, int headerEnd, int bodyStart, int end,
        HeaderList headers, ContentType contentType, IReadOnlyList<MimeEntity> children, MimeEntity? embeddedMessage)
    {
        _buffer = buffer;
        _headerStart = headerStart;
        _headerEnd = headerEnd;
        _bodyStart = bodyStart;
        _end = end;
        Headers = headers;
        ContentType = contentType;
        Children = children;
        EmbeddedMessage = embeddedMessage;
        TransferEncoding = headers["Content-Transfer-Encoding"]?.ToLowerInvariant();
        var disposition = headers.First("Content-Disposition");
        IReadOnlyDictionary<string, string>? dispositionParameters = null;
        if (disposition is not null)
        {
            (var token, dispositionParameters) = HeaderParameters.Parse(disposition.Unfolded);
            Disposition = token.Length > 0 ? token : null;
        }
        var fileName = dispositionParameters?.GetValueOrDefault("filename") ?? contentType.Name;
        FileName = string.IsNullOrWhiteSpace(fileName) ? null : fileName.Trim();
    }

    public HeaderList Headers { get; }

    public ContentType ContentType { get; }

    /// <summary>The Content-Disposition type, lower-cased ("attachment", "inline"), or null (RFC 2183).</summary>
    public string? Disposition { get; }

    /// <summary>Content-Disposition filename, else Content-Type name; RFC 2231 and RFC 2047 decoded.</summary>
    public string? FileName { get; }

    public bool IsMultipart => ContentType.MediaType == "multipart";

    public IReadOnlyList<MimeEntity> Children { get; }

    /// <summary>The parsed message of a message/rfc822 (or message/global) part.</summary>
    public MimeEntity? EmbeddedMessage { get; }

    /// <summary>Content-Transfer-Encoding lower-cased, or null when absent (meaning 7bit, RFC 2045 §6.1).</summary>
    public string? TransferEncoding { get; }

    /// <summary>
    /// Disposition attachment, or a file name, or a non-text leaf not marked inline. Multiparts never are; a
    /// message/rfc822 part is (a forwarded message), unless inline.
    /// </summary>
    public bool IsAttachment =>
        !IsMultipart && (Disposition == "attachment" || FileName is not null
                         || (ContentType.MediaType != "text" && Disposition != "inline"));

    /// <summary>The header lines exactly as received, each with its line break, without the empty line after them.</summary>
    public ReadOnlyMemory<byte> RawHeaderBlock => _buffer.AsMemory(_headerStart, _headerEnd - _headerStart);

    /// <summary>Everything after the empty line that ends the header block, exactly as received.</summary>
    public ReadOnlyMemory<byte> RawBody => _buffer.AsMemory(_bodyStart, _end - _bodyStart);

    /// <summary>The body with its Content-Transfer-Encoding undone.</summary>
    public ReadOnlyMemory<byte> DecodedContent
    {
        get
        {
            if (_decoded is not null)
                return _decoded;
            var raw = RawBody.Span;
            return TransferEncoding switch
            {
                "base64" => _decoded = TransferDecoding.DecodeBase64(raw),
                "quoted-printable" => _decoded = TransferDecoding.DecodeQuotedPrintable(raw),
                _ => RawBody,
            };
        }
    }

    public long DecodedLength => DecodedContent.Length;

    public Stream OpenDecodedContent()
    {
        // Every slice here is backed by an array (the parser's buffer or a decoded copy).
        if (!MemoryMarshal.TryGetArray(DecodedContent, out var segment))
            throw new InvalidOperationException("decoded content is not array-backed");
        return new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false);
    }

    /// <summary>The decoded content as text in its declared charset (unknown charsets read as UTF-8).</summary>
    public Task<string> ReadTextAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Charsets.Decode(DecodedContent.Span, ContentType.Charset));
    }

    /// <summary>Depth first: this entity, then its children and embedded message, recursively.</summary>
    public IEnumerable<MimeEntity> Descendants()
    {
        var stack = new Stack<MimeEntity>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var entity = stack.Pop();
            yield return entity;
            if (entity.EmbeddedMessage is not null)
                stack.Push(entity.EmbeddedMessage);
            for (var i = entity.Children.Count - 1; i >= 0; i--)
                stack.Push(entity.Children[i]);
        }
    }

    public override string ToString() => FileName is null ? ContentType.MimeType : $"{ContentType.MimeType} \"{FileName}\"";
}
