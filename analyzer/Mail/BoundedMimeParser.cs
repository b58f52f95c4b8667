using MimeKit;

namespace DmarcAnalyzer.Mail;

/// <summary>
/// Reads a message with MimeKit's <see cref="MimeParser"/> within <see cref="MimeLimits"/>: the size is checked
/// before parsing, depth, part count, header bytes, header lines and boundary lengths while MimeKit parses (its
/// entity events), so a bomb is stopped at the cap rather than after MimeKit has built it.
/// </summary>
internal static class BoundedMimeParser
{
    private static readonly string[] EncodedMessageTypes = ["rfc822", "global"];

    public static async Task<ParsedMessage> ParseAsync(Stream input, MimeLimits limits, CancellationToken ct)
    {
        var seekable = input.CanSeek ? input : await ReadBoundedAsync(input, limits.MaxMessageBytes, ct);
        if (seekable.Length - seekable.Position > limits.MaxMessageBytes)
            throw new MimeFormatException($"message is larger than the {limits.MaxMessageBytes}-byte limit (MaxMessageBytes)");
        var state = new Caps(limits);
        var message = await ParseOneAsync(seekable, state, depth: 0, ct);
        var decoded = new Dictionary<MimeEntity, MimeMessage>();
        await ParseEncodedMessagesAsync(message, 0, decoded, state, ct);
        return new ParsedMessage(message, decoded);
    }

    private static async Task<MimeMessage> ParseOneAsync(Stream input, Caps caps, int depth, CancellationToken ct)
    {
        // A seekable input is parsed persistently: part contents stay slices of it instead of copies.
        var parser = new MimeParser(caps.Options, input, persistent: true);
        var open = depth;
        parser.MimeMessageBegin += (_, e) => caps.CheckHeaders(e.Message.Headers, e.BeginOffset);
        parser.MimeEntityBegin += (_, e) =>
        {
            if (open > caps.Limits.MaxDepth)
                throw new MimeFormatException($"MIME nesting deeper than {caps.Limits.MaxDepth} levels at byte {e.BeginOffset} (MaxDepth)");
            open++;
            caps.CountPart(e.BeginOffset);
            // A message's top-level entity holds copies of its Content- fields, already counted with the message's.
            if (e.Parent is not null)
                caps.CheckHeaders(e.Entity.Headers, e.BeginOffset);
            if (e.Entity is Multipart { Boundary.Length: > MimeLimits.MaxBoundaryLength })
                throw new MimeFormatException($"multipart boundary longer than {MimeLimits.MaxBoundaryLength} characters at byte {e.BeginOffset}");
        };
        parser.MimeEntityEnd += (_, _) => open--;
        var start = input.Position;
        try
        {
            return await parser.ParseMessageAsync(ct);
        }
        catch (FormatException)
        {
            return WithoutHeader(input, start);
        }
    }

    /// <summary>
    /// MimeKit refuses input that does not start with a header field (or is empty); mail readers show such a
    /// message as text, so it is read as a message with no header fields whose whole content is a text/plain body.
    /// </summary>
    private static MimeMessage WithoutHeader(Stream input, long start)
    {
        input.Position = start;
        var body = new MemoryStream();
        input.CopyTo(body);
        body.Position = 0;
        var message = new MimeMessage();
        message.Headers.Clear();
        message.Body = new TextPart("plain") { Content = new MimeContent(body) };
        return message;
    }

    /// <summary>RFC 2046 §5.2.1 forbids encoding message/rfc822, but forwarding clients do; MimeKit leaves such parts opaque.</summary>
    private static async Task ParseEncodedMessagesAsync(
        MimeMessage message, int depth, Dictionary<MimeEntity, MimeMessage> decoded, Caps caps, CancellationToken ct)
    {
        var pending = new List<(MimePart Part, int Depth)>();
        Collect(message.Body, depth, pending);
        foreach (var (part, at) in pending)
        {
            ct.ThrowIfCancellationRequested();
            var bytes = new MemoryStream(MimeEntityFacts.DecodedContent(part, ct), writable: false);
            var inner = await ParseOneAsync(bytes, caps, at + 1, ct);
            decoded[part] = inner;
            await ParseEncodedMessagesAsync(inner, at + 1, decoded, caps, ct);
        }
    }

    private static void Collect(MimeEntity? entity, int depth, List<(MimePart, int)> pending)
    {
        switch (entity)
        {
            case Multipart multipart:
                foreach (var child in multipart)
                    Collect(child, depth + 1, pending);
                break;
            case MessagePart { Message: { } inner }:
                Collect(inner.Body, depth + 1, pending);
                break;
            case MimePart part when part.ContentType.MediaType.Equals("message", StringComparison.OrdinalIgnoreCase)
                                    && EncodedMessageTypes.Contains(part.ContentType.MediaSubtype, StringComparer.OrdinalIgnoreCase)
                                    && part.ContentTransferEncoding is ContentEncoding.Base64 or ContentEncoding.QuotedPrintable:
                pending.Add((part, depth));
                break;
        }
    }

    private static async Task<MemoryStream> ReadBoundedAsync(Stream input, long maxBytes, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await input.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw new MimeFormatException($"message is larger than the {maxBytes}-byte limit (MaxMessageBytes)");
            buffer.Write(chunk, 0, read);
        }
        buffer.Position = 0;
        return buffer;
    }

    /// <summary>The caps' counters, shared by the message and every encoded message parsed out of it.</summary>
    private sealed class Caps(MimeLimits limits)
    {
        public MimeLimits Limits { get; } = limits;

        /// <summary>MimeKit's own depth stop (it turns deeper multiparts into leaves) lies beyond ours, as a backstop.</summary>
        public ParserOptions Options { get; } = new() { MaxMimeDepth = limits.MaxDepth + 2 };

        private int _parts;
        private long _headerBytes;

        public void CountPart(long offset)
        {
            if (++_parts > Limits.MaxParts)
                throw new MimeFormatException($"more than {Limits.MaxParts} MIME parts, at byte {offset} (MaxParts)");
        }

        public void CheckHeaders(HeaderList headers, long offset)
        {
            foreach (var header in headers)
            {
                var raw = header.RawValue;
                var line = header.RawField.Length + 1;
                foreach (var b in raw)
                {
                    if (b == '\n')
                        line = 0;
                    else if (++line > Limits.MaxLineBytes)
                        throw new MimeFormatException($"header line longer than {Limits.MaxLineBytes} bytes at byte {offset} (MaxLineBytes)");
                }
                _headerBytes += header.RawField.Length + 1 + raw.Length;
                if (_headerBytes > Limits.MaxHeaderBytes)
                    throw new MimeFormatException($"more than {Limits.MaxHeaderBytes} header bytes, at byte {offset} (MaxHeaderBytes)");
            }
        }
    }
}
