using System.Buffers;
using System.Text;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>One header field as it stood in the message: "Name: value", folded lines joined by CRLF, no final CRLF.
/// Bytes map one-to-one to chars (Latin-1), so 8-bit headers hash exactly as they arrived.</summary>
internal sealed record RawHeaderField(string Name, string Raw)
{
    /// <summary>The value after the colon, still folded.</summary>
    public string Value => Raw[(Raw.IndexOf(':') + 1)..];

    /// <summary>
    /// A field from a name and its value exactly as it followed the colon (leading space and folding included),
    /// as a milter receives them; line ends are made CRLF as they were on the wire.
    /// </summary>
    public static RawHeaderField Create(string name, string value) =>
        new(name, $"{name}:{value.ReplaceLineEndings("\r\n")}");
}

/// <summary>
/// Splits a message into raw header fields and a body that the caller streams onward. DKIM works on the
/// bytes as sent, not on a MIME tree, so this is all it needs; the header block is bounded, the body is never held.
/// </summary>
internal sealed class RawMessageReader
{
    public const int DefaultMaxHeaderBytes = 1024 * 1024;
    private const int MaxFields = 10_000;

    private readonly Stream _stream;
    private readonly byte[] _leftover;

    private RawMessageReader(Stream stream, IReadOnlyList<RawHeaderField> fields, byte[] leftover)
    {
        _stream = stream;
        Fields = fields;
        _leftover = leftover;
    }

    public IReadOnlyList<RawHeaderField> Fields { get; }

    /// <summary>Reads the header block (up to the first empty line, or the end of the input).</summary>
    public static async Task<RawMessageReader> ReadHeaderAsync(Stream stream, CancellationToken ct, int maxHeaderBytes = DefaultMaxHeaderBytes)
    {
        var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            var scanFrom = 0;
            while (true)
            {
                var end = FindHeaderEnd(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), scanFrom);
                if (end is { HeaderLength: var length } && length > maxHeaderBytes)
                    throw new DkimFormatException($"header block larger than {maxHeaderBytes} bytes");
                if (end is { } found)
                {
                    var all = buffer.GetBuffer();
                    var fields = SplitFields(all.AsSpan(0, found.HeaderLength));
                    return new RawMessageReader(stream, fields, all[found.BodyStart..(int)buffer.Length]);
                }
                scanFrom = Math.Max(0, (int)buffer.Length - 3);
                if (buffer.Length > maxHeaderBytes)
                    throw new DkimFormatException($"header block larger than {maxHeaderBytes} bytes");
                var read = await stream.ReadAsync(chunk, ct);
                if (read == 0)
                {
                    // No empty line: the whole message is header (§3.4.3 then hashes an empty body).
                    var all = buffer.GetBuffer();
                    return new RawMessageReader(stream, SplitFields(all.AsSpan(0, (int)buffer.Length)), []);
                }
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Streams the body, in chunks, to <paramref name="sink"/>.</summary>
    public async Task ReadBodyAsync(Action<byte[], int> sink, CancellationToken ct)
    {
        if (_leftover.Length > 0)
            sink(_leftover, _leftover.Length);
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await _stream.ReadAsync(chunk, ct)) > 0)
                sink(chunk, read);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    // The header ends at the first empty line, CRLF or bare LF; the body starts after it.
    private static (int HeaderLength, int BodyStart)? FindHeaderEnd(ReadOnlySpan<byte> data, int from)
    {
        if (data.Length > 0 && from == 0)
        {
            if (data[0] == '\n')
                return (0, 1);
            if (data.Length > 1 && data[0] == '\r' && data[1] == '\n')
                return (0, 2);
        }
        for (var i = Math.Max(from, 0); i < data.Length; i++)
        {
            if (data[i] != '\n')
                continue;
            var next = i + 1;
            if (next < data.Length && data[next] == '\n')
                return (i + 1, next + 1);
            if (next + 1 < data.Length && data[next] == '\r' && data[next + 1] == '\n')
                return (i + 1, next + 2);
        }
        return null;
    }

    private static List<RawHeaderField> SplitFields(ReadOnlySpan<byte> header)
    {
        var fields = new List<RawHeaderField>();
        var current = new StringBuilder();
        foreach (var line in Lines(Encoding.Latin1.GetString(header)))
        {
            if (line.Length > 0 && line[0] is ' ' or '\t')
            {
                if (current.Length > 0)
                    current.Append("\r\n").Append(line);
                continue;
            }
            Add(fields, current);
            current.Clear();
            // A line with no colon (an mbox "From " line) is not a field: it can be neither signed nor verified.
            if (line.Contains(':'))
                current.Append(line);
        }
        Add(fields, current);
        return fields;
    }

    private static void Add(List<RawHeaderField> fields, StringBuilder current)
    {
        if (current.Length == 0)
            return;
        if (fields.Count >= MaxFields)
            throw new DkimFormatException($"more than {MaxFields} header fields");
        var raw = current.ToString();
        fields.Add(new RawHeaderField(raw[..raw.IndexOf(':')].TrimEnd(' ', '\t'), raw));
    }

    private static IEnumerable<string> Lines(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var lf = text.IndexOf('\n', start);
            if (lf < 0)
            {
                yield return text[start..];
                yield break;
            }
            var end = lf > start && text[lf - 1] == '\r' ? lf - 1 : lf;
            yield return text[start..end];
            start = lf + 1;
        }
    }
}
