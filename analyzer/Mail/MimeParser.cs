using System.Text;

namespace DmarcAnalyzer.Mail;

/// <summary>
/// Reads an RFC 5322 message with its MIME structure (RFC 2045, RFC 2046) into a <see cref="MimeEntity"/> tree.
/// </summary>
/// <remarks>
/// The input is read once, in chunks, into one array bounded by <see cref="MimeLimits.MaxMessageBytes"/>, and every
/// entity's header block and body are slices of it. Callers hold whole messages anyway (the milter buffers the
/// message, the ingest reads a file), DKIM needs the exact original bytes, and slices mean a body is copied only
/// when it is transfer-decoded. A temporary file would only pay off beyond the default 100 MiB cap.
/// Parsing is one forward pass per nesting level; depth, part count and header bytes are capped, so neither
/// time nor memory can grow past a fixed multiple of the input.
/// </remarks>
internal static class MimeParser
{
    private const int ReadChunk = 64 * 1024;

    /// <summary>RFC 2046 §5.1.1 allows 70; anything far longer is not a mailer's doing.</summary>
    private const int MaxBoundaryLength = 256;

    public static async Task<MimeEntity> ParseAsync(Stream input, MimeLimits limits, CancellationToken ct)
    {
        var (buffer, length) = await ReadBoundedAsync(input, limits.MaxMessageBytes, ct);
        var state = new ParseState(limits, ct);
        return ParseEntity(buffer, 0, length, depth: 0, ContentType.TextPlain, state, topLevel: true);
    }

    private static async Task<(byte[] Buffer, int Length)> ReadBoundedAsync(Stream input, long maxBytes, CancellationToken ct)
    {
        var cap = (int)Math.Min(maxBytes, Array.MaxLength - 1);
        if (input.CanSeek && input.Length - input.Position > cap)
            throw new MimeFormatException($"message is larger than the {maxBytes}-byte limit (MaxMessageBytes)");
        var initial = input.CanSeek ? (int)Math.Clamp(input.Length - input.Position + 1, 1, (long)cap + 1) : ReadChunk;
        var buffer = new byte[initial];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > cap)
                    break;
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, (long)cap + 1));
            }
            var read = await input.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0)
                break;
            length += read;
        }
        if (length > cap)
            throw new MimeFormatException($"message is larger than the {maxBytes}-byte limit (MaxMessageBytes)");
        return (buffer, length);
    }

    private static MimeEntity ParseEntity(
        byte[] data, int start, int end, int depth, ContentType defaultType, ParseState state, bool topLevel)
    {
        if (depth > state.Limits.MaxDepth)
            throw new MimeFormatException($"MIME nesting deeper than {state.Limits.MaxDepth} levels at byte {start} (MaxDepth)");
        if (++state.Parts > state.Limits.MaxParts)
            throw new MimeFormatException($"more than {state.Limits.MaxParts} MIME parts, at byte {start} (MaxParts)");
        state.CancellationToken.ThrowIfCancellationRequested();

        var headerStart = topLevel ? SkipMboxFromLine(data, start, end) : start;
        var (headers, headerEnd, bodyStart) = ReadHeaders(data, headerStart, end, state);
        var contentType = ContentType.Parse(headers.First("Content-Type")?.Unfolded, defaultType);

        IReadOnlyList<MimeEntity> children = [];
        MimeEntity? embedded = null;
        if (contentType.MediaType == "multipart" && !string.IsNullOrEmpty(contentType.Boundary))
        {
            var childDefault = contentType.SubType == "digest" ? ContentType.MessageRfc822 : ContentType.TextPlain;
            var parts = SplitMultipart(data, bodyStart, end, contentType.Boundary, state);
            var list = new List<MimeEntity>(parts.Count);
            foreach (var (partStart, partEnd) in parts)
                list.Add(ParseEntity(data, partStart, partEnd, depth + 1, childDefault, state, topLevel: false));
            children = list;
        }
        else if (contentType.MediaType == "message" && contentType.SubType is "rfc822" or "global")
            embedded = ParseEmbedded(data, bodyStart, end, headers, depth, state);

        return new MimeEntity(data, headerStart, headerEnd, bodyStart, end, headers, contentType, children, embedded);
    }

    /// <summary>
    /// RFC 2046 §5.2.1 forbids encoding message/rfc822, but forwarding clients base64 it anyway: decode first.
    /// The embedded entity then slices the decoded copy.
    /// </summary>
    private static MimeEntity ParseEmbedded(byte[] data, int bodyStart, int end, HeaderList headers, int depth, ParseState state)
    {
        var body = data.AsSpan(bodyStart, end - bodyStart);
        var encoding = headers["Content-Transfer-Encoding"]?.ToLowerInvariant();
        var decoded = encoding switch
        {
            "base64" => TransferDecoding.DecodeBase64(body),
            "quoted-printable" => TransferDecoding.DecodeQuotedPrintable(body),
            _ => null,
        };
        return decoded is null
            ? ParseEntity(data, bodyStart, end, depth + 1, ContentType.TextPlain, state, topLevel: false)
            : ParseEntity(decoded, 0, decoded.Length, depth + 1, ContentType.TextPlain, state, topLevel: false);
    }

    /// <summary>An mbox "From " separator line is not a header field; .eml files saved from mbox start with one.</summary>
    private static int SkipMboxFromLine(byte[] data, int start, int end) =>
        data.AsSpan(start, end - start).StartsWith("From "u8) ? NextLine(data, start, end) : start;

    /// <summary>
    /// RFC 5322 §2.2: fields until the first empty line; a line starting with white space continues the field
    /// before it (§2.2.3). A line that is neither a field nor a continuation starts the body, as if the empty
    /// line had been forgotten. Header bytes are decoded as UTF-8 (RFC 6532), else Latin-1.
    /// </summary>
    private static (HeaderList Headers, int HeaderEnd, int BodyStart) ReadHeaders(byte[] data, int start, int end, ParseState state)
    {
        var headers = new List<Header>();
        var fieldStart = -1;
        var pos = start;
        var headerEnd = end;
        var bodyStart = end;
        while (pos < end)
        {
            var next = NextLine(data, pos, end);
            var lineLength = next - pos;
            if (lineLength > state.Limits.MaxLineBytes)
                throw new MimeFormatException($"header line longer than {state.Limits.MaxLineBytes} bytes at byte {pos} (MaxLineBytes)");
            var line = data.AsSpan(pos, next - pos);
            if (line is [(byte)'\n'] or [(byte)'\r', (byte)'\n'])
            {
                headerEnd = pos;
                bodyStart = next;
                break;
            }
            if (line[0] is not ((byte)' ' or (byte)'\t'))
            {
                if (fieldStart >= 0)
                    headers.Add(MakeHeader(data, fieldStart, pos));
                fieldStart = -1;
                if (!LooksLikeField(line))
                {
                    headerEnd = pos;
                    bodyStart = pos;
                    break;
                }
                fieldStart = pos;
            }
            state.HeaderBytes += lineLength;
            if (state.HeaderBytes > state.Limits.MaxHeaderBytes)
                throw new MimeFormatException($"header fields exceed {state.Limits.MaxHeaderBytes} bytes at byte {pos} (MaxHeaderBytes)");
            pos = next;
        }
        if (fieldStart >= 0)
            headers.Add(MakeHeader(data, fieldStart, pos < end ? pos : end));
        return (new HeaderList(headers), headerEnd, bodyStart);
    }

    /// <summary>RFC 5322 §3.6.8 field name: printable ASCII up to a colon (obsolete white space before it allowed).</summary>
    private static bool LooksLikeField(ReadOnlySpan<byte> line)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
            return false;
        var name = line[..colon].TrimEnd(" \t"u8);
        if (name.IsEmpty)
            return false;
        foreach (var b in name)
            if (b is <= 32 or >= 127)
                return false;
        return true;
    }

    private static Header MakeHeader(byte[] data, int start, int end)
    {
        var raw = data.AsMemory(start, end - start);
        var span = raw.Span;
        var colon = span.IndexOf((byte)':');
        var valueEnd = span.Length;
        if (valueEnd > 0 && span[valueEnd - 1] == '\n')
            valueEnd--;
        if (valueEnd > colon + 1 && span[valueEnd - 1] == '\r')
            valueEnd--;
        var name = Encoding.ASCII.GetString(span[..colon]).TrimEnd();
        return new Header(name, DecodeHeaderBytes(span[(colon + 1)..valueEnd])) { Raw = raw };
    }

    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

    private static string DecodeHeaderBytes(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
            return StrictUtf8.GetString(bytes);
        return Encoding.Latin1.GetString(bytes);
    }

    /// <summary>
    /// RFC 2046 §5.1.1: a delimiter is "--boundary" at the start of a line, followed only by white space; the
    /// close delimiter adds "--". The line break before a delimiter belongs to it, not to the part. Preamble and
    /// epilogue are skipped; a missing close delimiter is taken to stand at the end of the body.
    /// </summary>
    /// <remarks>
    /// The search is for the line break and the delimiter together, so each line offers at most one candidate and
    /// the scan stays linear however the boundary and the data are crafted.
    /// </remarks>
    private static List<(int Start, int End)> SplitMultipart(byte[] data, int bodyStart, int end, string boundary, ParseState state)
    {
        if (boundary.Length > MaxBoundaryLength)
            throw new MimeFormatException($"multipart boundary longer than {MaxBoundaryLength} characters at byte {bodyStart}");
        var delimiter = Encoding.UTF8.GetBytes("\n--" + boundary);
        var parts = new List<(int Start, int End)>();
        var partStart = -1;
        var searchFrom = bodyStart;
        var atBodyStart = data.AsSpan(bodyStart, end - bodyStart).StartsWith(delimiter.AsSpan(1));
        while (true)
        {
            int at;
            if (atBodyStart)
            {
                at = bodyStart;
                atBodyStart = false;
            }
            else
            {
                var found = searchFrom < end ? data.AsSpan(searchFrom, end - searchFrom).IndexOf(delimiter) : -1;
                if (found < 0)
                    break;
                at = searchFrom + found + 1;
            }
            var afterDelimiter = at + delimiter.Length - 1;
            var lineEnd = NextLine(data, afterDelimiter, end);
            var rest = data.AsSpan(afterDelimiter, lineEnd - afterDelimiter);
            var isClose = rest.StartsWith("--"u8);
            if (!isClose && !rest.Trim(" \t\r\n"u8).IsEmpty)
            {
                searchFrom = afterDelimiter;
                continue;
            }
            if (partStart >= 0)
            {
                parts.Add((partStart, WithoutFinalLineBreak(data, partStart, at)));
                if (state.Parts + parts.Count > state.Limits.MaxParts)
                    throw new MimeFormatException($"more than {state.Limits.MaxParts} MIME parts, at byte {at} (MaxParts)");
            }
            if (isClose)
                return parts;
            partStart = lineEnd;
            // The line break ending this delimiter line may be the one that starts the next delimiter.
            searchFrom = lineEnd > afterDelimiter && data[lineEnd - 1] == '\n' ? lineEnd - 1 : lineEnd;
        }
        if (partStart >= 0)
            parts.Add((partStart, WithoutFinalLineBreak(data, partStart, end)));
        return parts;
    }

    private static int WithoutFinalLineBreak(byte[] data, int start, int end)
    {
        if (end > start && data[end - 1] == '\n')
            end--;
        if (end > start && data[end - 1] == '\r')
            end--;
        return end;
    }

    private static int NextLine(byte[] data, int pos, int end)
    {
        var newline = data.AsSpan(pos, end - pos).IndexOf((byte)'\n');
        return newline < 0 ? end : pos + newline + 1;
    }

    private sealed class ParseState(MimeLimits limits, CancellationToken ct)
    {
        public MimeLimits Limits { get; } = limits;
        public CancellationToken CancellationToken { get; } = ct;
        public int Parts { get; set; }
        public long HeaderBytes { get; set; }
    }
}
