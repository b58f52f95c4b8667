using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// One message split out of an mbox file; <see cref="Number"/> counts from 1. An <see cref="Oversized"/> message
/// was larger than the cap: <see cref="Bytes"/> holds only its beginning.
/// </summary>
internal sealed record MboxMessage(int Number, byte[] Bytes, bool Oversized = false);

/// <summary>
/// Splits an mbox file (RFC 4155) into messages, streaming: each message starts at a "From " line, which is dropped,
/// as is the blank line that separates it from the next. Body lines escaped as <c>&gt;From </c> are unescaped the
/// mboxrd way (one <c>&gt;</c> less on any <c>&gt;…&gt;From </c> line), which also undoes mboxo's escaping.
/// </summary>
// Ours, not MimeKit 4.18.2 MimeParser(MimeFormat.Mbox): measured, it leaves ">From " body lines escaped and reads each message whole, with no per-message cap.
internal static class MboxReader
{
    public static async IAsyncEnumerable<MboxMessage> ReadAsync(Stream input, long maxMessageBytes, [EnumeratorCancellation] CancellationToken ct)
    {
        var reader = PipeReader.Create(input, new StreamPipeReaderOptions(leaveOpen: true));
        var message = new MemoryStream();
        var number = 0;
        var pendingBlank = ReadOnlyMemory<byte>.Empty;
        var oversized = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(ct);
                var buffer = result.Buffer;
                while (TryReadLine(ref buffer, result.IsCompleted, out var line))
                {
                    if (line.Length > maxMessageBytes)
                        throw new InvalidDataException($"mbox message {Math.Max(number, 1)} has a line over {maxMessageBytes} bytes");
                    var bytes = line.ToArray();
                    if (IsSeparator(bytes))
                    {
                        if (number > 0)
                            yield return new MboxMessage(number, message.ToArray(), oversized);
                        number++;
                        message.SetLength(0);
                        oversized = false;
                        pendingBlank = ReadOnlyMemory<byte>.Empty;
                        continue;
                    }
                    if (number == 0)
                        throw new InvalidDataException("not an mbox file: it does not begin with a \"From \" line");
                    // A blank line may be the separator before the next "From ": hold it back until we know.
                    if (!pendingBlank.IsEmpty)
                        message.Write(pendingBlank.Span);
                    pendingBlank = ReadOnlyMemory<byte>.Empty;
                    if (IsBlank(bytes))
                    {
                        pendingBlank = bytes;
                        continue;
                    }
                    var unescaped = Unescape(bytes);
                    // An oversized message keeps its beginning and is passed on as such; the messages after it still count.
                    if (message.Length + unescaped.Length > maxMessageBytes)
                        oversized = true;
                    else
                        message.Write(unescaped);
                }
                // A line may not grow without end while we wait for its newline.
                if (buffer.Length > maxMessageBytes)
                    throw new InvalidDataException($"mbox message {Math.Max(number, 1)} has a line over {maxMessageBytes} bytes");
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                    break;
            }
            if (number > 0)
                yield return new MboxMessage(number, message.ToArray(), oversized);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    /// <summary>A line with its line ending; at the end of input, the unterminated rest.</summary>
    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, bool completed, out ReadOnlySequence<byte> line)
    {
        var end = buffer.PositionOf((byte)'\n');
        if (end is not null)
        {
            line = buffer.Slice(0, buffer.GetPosition(1, end.Value));
            buffer = buffer.Slice(line.End);
            return true;
        }
        if (completed && !buffer.IsEmpty)
        {
            line = buffer;
            buffer = buffer.Slice(buffer.End);
            return true;
        }
        line = default;
        return false;
    }

    private static bool IsSeparator(ReadOnlySpan<byte> line) => line.StartsWith("From "u8);

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.SequenceEqual("\n"u8) || line.SequenceEqual("\r\n"u8);

    private static ReadOnlySpan<byte> Unescape(ReadOnlySpan<byte> line)
    {
        var quotes = 0;
        while (quotes < line.Length && line[quotes] == '>')
            quotes++;
        return quotes > 0 && line[quotes..].StartsWith("From "u8) ? line[1..] : line;
    }
}
