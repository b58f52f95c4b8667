using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace DmarcAnalyzer.Imap;

/// <summary>
/// Frames and parses server responses from a <see cref="PipeReader"/> (RFC 3501 §7 and §9, with RFC 9051's
/// UTF-8 quoted strings and RFC 7888 <c>{n+}</c>). A response is one line, or several when literals split it:
/// <c>{n}</c> CRLF, then n bytes streamed into a <see cref="LiteralBuffer"/>, then the line goes on. Each line,
/// each literal and the whole response are bounded by <see cref="ImapLimits"/>.
/// </summary>
internal sealed class ImapResponseReader(PipeReader reader, ImapLimits limits)
{
    /// <summary>Whether bytes are buffered beyond what was parsed (used to refuse data injected before STARTTLS).</summary>
    public bool HasBufferedData()
    {
        if (!reader.TryRead(out var result))
            return false;
        var any = !result.Buffer.IsEmpty;
        reader.AdvanceTo(result.Buffer.Start);
        return any;
    }

    public async ValueTask<ImapResponse> ReadAsync(CancellationToken ct)
    {
        var budget = new Budget();
        var line = await ReadLineAsync(budget, ct);
        var cursor = new Cursor(line);

        if (cursor.TrySkip((byte)'+'))
        {
            cursor.TrySkip((byte)' ');
            return new ImapResponse { Kind = ImapResponseKind.Continuation, Text = cursor.Rest() };
        }

        var tag = cursor.Word();
        if (tag.Length == 0 || !cursor.TrySkip((byte)' '))
            throw new ImapProtocolException($"not an IMAP response: \"{Printable(line)}\"");
        var untagged = tag == "*";
        if (!untagged && !tag.All(IsTagChar))
            throw new ImapProtocolException($"bad response tag: \"{Printable(line)}\"");

        var word = cursor.Word();
        var status = StatusOf(word);
        if (status != ImapStatus.None)
        {
            if (!untagged && status is ImapStatus.PreAuth or ImapStatus.Bye)
                throw new ImapProtocolException($"{word} cannot be tagged: \"{Printable(line)}\"");
            cursor.TrySkip((byte)' ');
            var (code, arguments) = cursor.ResponseCode();
            return new ImapResponse
            {
                Kind = untagged ? ImapResponseKind.Untagged : ImapResponseKind.Tagged,
                Tag = untagged ? null : tag,
                Status = status,
                Code = code,
                CodeArguments = arguments,
                Text = cursor.Rest(),
            };
        }
        if (!untagged)
            throw new ImapProtocolException($"tagged response without OK, NO or BAD: \"{Printable(line)}\"");

        long? number = null;
        if (word.Length > 0 && word.All(char.IsAsciiDigit))
        {
            if (word.Length > 10 || !cursor.TrySkip((byte)' '))
                throw new ImapProtocolException($"bad message data: \"{Printable(line)}\"");
            number = long.Parse(word, System.Globalization.CultureInfo.InvariantCulture);
            word = cursor.Word();
        }
        if (word.Length == 0)
            throw new ImapProtocolException($"untagged response without a name: \"{Printable(line)}\"");

        var data = await ParseTokensAsync(cursor, budget, ct);
        return new ImapResponse { Kind = ImapResponseKind.Untagged, Name = word.ToUpperInvariant(), Number = number, Data = data };
    }

    /// <summary>Tokens up to the end of the response, following literals onto their continuation lines.</summary>
    private async ValueTask<IReadOnlyList<ImapToken>> ParseTokensAsync(Cursor cursor, Budget budget, CancellationToken ct)
    {
        var open = new Stack<List<ImapToken>>();
        var current = new List<ImapToken>();
        try
        {
            while (true)
            {
                cursor.SkipSpaces();
                if (cursor.AtEnd)
                {
                    if (open.Count > 0)
                        throw new ImapProtocolException("unbalanced parenthesis in response");
                    return current;
                }
                if (++budget.Tokens > limits.MaxTokens)
                    throw new ImapProtocolException($"response has more than {limits.MaxTokens} tokens");

                switch (cursor.Peek)
                {
                    case (byte)'(':
                        if (open.Count >= limits.MaxListDepth)
                            throw new ImapProtocolException($"lists nested deeper than {limits.MaxListDepth}");
                        cursor.Advance();
                        open.Push(current);
                        current = [];
                        break;
                    case (byte)')':
                        if (open.Count == 0)
                            throw new ImapProtocolException("unbalanced parenthesis in response");
                        cursor.Advance();
                        var list = new ImapList(current);
                        current = open.Pop();
                        current.Add(list);
                        break;
                    case (byte)'"':
                        current.Add(new ImapQuoted(cursor.Quoted()));
                        break;
                    case (byte)'{':
                        var length = cursor.LiteralMarker();
                        current.Add(new ImapLiteral(await ReadLiteralAsync(length, budget, ct)));
                        cursor = new Cursor(await ReadLineAsync(budget, ct));
                        break;
                    default:
                        var atom = cursor.Atom();
                        current.Add(atom.Equals("NIL", StringComparison.OrdinalIgnoreCase) ? ImapNil.Instance : new ImapAtom(atom));
                        break;
                }
            }
        }
        catch
        {
            new ImapResponse { Kind = ImapResponseKind.Untagged, Data = [.. open.SelectMany(l => l), .. current] }.Dispose();
            throw;
        }
    }

    private async ValueTask<byte[]> ReadLineAsync(Budget budget, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            var end = buffer.PositionOf((byte)'\n');
            if (end is not null)
            {
                var line = buffer.Slice(0, end.Value);
                if (line.Length > limits.MaxLineBytes)
                    throw new ImapProtocolException($"response line longer than {limits.MaxLineBytes} bytes");
                var bytes = line.ToArray();
                reader.AdvanceTo(buffer.GetPosition(1, end.Value));
                budget.LineBytes += bytes.Length;
                if (budget.LineBytes > limits.MaxResponseLineBytes)
                    throw new ImapProtocolException($"response longer than {limits.MaxResponseLineBytes} bytes");
                // RFC 3501 §2.2: lines end in CRLF; a bare LF is tolerated, a CR inside is not.
                var length = bytes.Length > 0 && bytes[^1] == '\r' ? bytes.Length - 1 : bytes.Length;
                if (Array.IndexOf(bytes, (byte)'\r', 0, length) >= 0 || Array.IndexOf(bytes, (byte)0, 0, length) >= 0)
                    throw new ImapProtocolException("response line contains CR or NUL");
                return length == bytes.Length ? bytes : bytes[..length];
            }
            if (buffer.Length > limits.MaxLineBytes)
                throw new ImapProtocolException($"response line longer than {limits.MaxLineBytes} bytes (no CRLF)");
            if (result.IsCompleted)
                throw new ImapConnectionException(buffer.IsEmpty ? "server closed the connection" : "server closed the connection in the middle of a line");
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private async ValueTask<LiteralBuffer> ReadLiteralAsync(long length, Budget budget, CancellationToken ct)
    {
        budget.LiteralBytes += length;
        if (length > limits.MaxLiteralBytes || budget.LiteralBytes > limits.MaxLiteralBytes)
            throw new ImapProtocolException($"server announced a literal of {length} bytes; the limit is {limits.MaxLiteralBytes}");
        var literal = new LiteralBuffer();
        try
        {
            var remaining = length;
            while (remaining > 0)
            {
                var result = await reader.ReadAsync(ct);
                var buffer = result.Buffer;
                var take = buffer.Slice(0, Math.Min(remaining, buffer.Length));
                foreach (var segment in take)
                    await literal.WriteAsync(segment, ct);
                remaining -= take.Length;
                reader.AdvanceTo(take.End);
                if (remaining > 0 && result.IsCompleted)
                    throw new ImapConnectionException($"server closed the connection {remaining} bytes before the end of a literal");
            }
            return literal;
        }
        catch
        {
            literal.Dispose();
            throw;
        }
    }

    private static ImapStatus StatusOf(string word) => word.ToUpperInvariant() switch
    {
        "OK" => ImapStatus.Ok,
        "NO" => ImapStatus.No,
        "BAD" => ImapStatus.Bad,
        "PREAUTH" => ImapStatus.PreAuth,
        "BYE" => ImapStatus.Bye,
        _ => ImapStatus.None,
    };

    // RFC 3501 §9: tag = 1*<any ASTRING-CHAR except "+">.
    private static bool IsTagChar(char c) => c > ' ' && c < 0x7f && c is not ('(' or ')' or '{' or '%' or '*' or '"' or '\\' or '+');

    internal static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes.Length > 120 ? bytes[..120] : bytes);
        return new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray()) + (bytes.Length > 120 ? "…" : "");
    }

    /// <summary>What one response has used so far of <see cref="ImapLimits"/>.</summary>
    private sealed class Budget
    {
        public int LineBytes;
        public long LiteralBytes;
        public int Tokens;
    }

    /// <summary>A position in one response line.</summary>
    private sealed class Cursor(byte[] line)
    {
        private int position;

        public bool AtEnd => position >= line.Length;
        public byte Peek => line[position];

        public void Advance() => position++;

        public bool TrySkip(byte b)
        {
            if (AtEnd || line[position] != b)
                return false;
            position++;
            return true;
        }

        public void SkipSpaces()
        {
            while (!AtEnd && line[position] == ' ')
                position++;
        }

        public string Word()
        {
            var start = position;
            while (!AtEnd && line[position] != ' ')
                position++;
            return Encoding.ASCII.GetString(line, start, position - start);
        }

        public string Rest()
        {
            var text = Encoding.UTF8.GetString(line, position, line.Length - position);
            position = line.Length;
            return text;
        }

        /// <summary>RFC 3501 §7.1: an optional <c>[name args]</c> before the text of a status response.</summary>
        public (string? Code, string Arguments) ResponseCode()
        {
            if (!TrySkip((byte)'['))
                return (null, "");
            var close = Array.IndexOf(line, (byte)']', position);
            if (close < 0)
                throw new ImapProtocolException($"unterminated response code: \"{Printable(line)}\"");
            var inside = Encoding.UTF8.GetString(line, position, close - position);
            position = close + 1;
            SkipSpaces();
            var space = inside.IndexOf(' ');
            return space < 0
                ? (inside.ToUpperInvariant(), "")
                : (inside[..space].ToUpperInvariant(), inside[(space + 1)..]);
        }

        /// <summary>RFC 3501 §9 quoted: <c>\</c> escapes only <c>"</c> and <c>\</c>; UTF-8 per RFC 9051.</summary>
        public string Quoted()
        {
            position++;
            var bytes = new List<byte>();
            while (true)
            {
                if (AtEnd)
                    throw new ImapProtocolException("unterminated quoted string");
                var b = line[position++];
                if (b == '"')
                    return Encoding.UTF8.GetString([.. bytes]);
                if (b == '\\')
                {
                    if (AtEnd || line[position] is not ((byte)'"' or (byte)'\\'))
                        throw new ImapProtocolException("bad escape in quoted string");
                    b = line[position++];
                }
                bytes.Add(b);
            }
        }

        /// <summary><c>{n}</c> or <c>{n+}</c> (RFC 7888), which must end the line.</summary>
        public long LiteralMarker()
        {
            var close = Array.IndexOf(line, (byte)'}', position);
            if (close < 0 || close != line.Length - 1)
                throw new ImapProtocolException($"bad literal marker: \"{Printable(line)}\"");
            var digits = Encoding.ASCII.GetString(line, position + 1, close - position - 1).TrimEnd('+');
            if (digits.Length is 0 or > 12 || !digits.All(char.IsAsciiDigit))
                throw new ImapProtocolException($"bad literal length: \"{Printable(line)}\"");
            position = line.Length;
            return long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>
        /// An atom, stopping at a space or parenthesis. A <c>[…]</c> section belongs to the atom, spaces and
        /// parentheses included, so <c>BODY[HEADER.FIELDS (DATE)]</c> is one token.
        /// </summary>
        public string Atom()
        {
            var start = position;
            var depth = 0;
            while (!AtEnd)
            {
                var b = line[position];
                if (b == '[')
                    depth++;
                else if (b == ']' && depth > 0)
                    depth--;
                else if (depth == 0 && (b == ' ' || b == '(' || b == ')'))
                    break;
                else if (b < 0x20 || b == 0x7f || (depth == 0 && (b == '"' || b == '{')))
                    throw new ImapProtocolException($"unexpected character in atom: \"{Printable(line)}\"");
                position++;
            }
            if (depth > 0)
                throw new ImapProtocolException($"unterminated section: \"{Printable(line)}\"");
            return Encoding.UTF8.GetString(line, start, position - start);
        }
    }
}
