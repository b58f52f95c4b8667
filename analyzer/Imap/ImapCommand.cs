using System.Text;

namespace DmarcAnalyzer.Imap;

/// <summary>
/// One command line under construction (RFC 3501 §9): a verb and arguments, strings quoted or sent as literals.
/// Only <see cref="Verb"/> is ever logged: arguments can be passwords.
/// </summary>
internal sealed class ImapCommand(string verb)
{
    /// <summary>Quoted strings longer than this go as literals; RFC 9051 §4.3 keeps quoted strings short.</summary>
    private const int MaxQuotedBytes = 1000;

    private readonly List<Part> parts = [new Part(Encoding.ASCII.GetBytes(verb), null, 0)];

    public string Verb { get; } = verb;

    internal IReadOnlyList<Part> Parts => parts;

    /// <summary>Text sent as is: atoms, numbers, sequence sets, search keys, parenthesised flag lists.</summary>
    public ImapCommand Atom(string text)
    {
        if (text.Any(c => c is '\r' or '\n' or '\0' or > '~'))
            throw new ArgumentException("command text must be printable ASCII", nameof(text));
        parts.Add(new Part(Encoding.ASCII.GetBytes(" " + text), null, 0));
        return this;
    }

    /// <summary>An astring: quoted when it is short 7-bit text, else a literal of its UTF-8 bytes.</summary>
    public ImapCommand String(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length <= MaxQuotedBytes && bytes.All(b => b is > 0 and < 0x80 and not (byte)'\r' and not (byte)'\n'))
        {
            var quoted = new StringBuilder(" \"");
            foreach (var c in value)
                quoted.Append(c is '"' or '\\' ? "\\" + c : c);
            parts.Add(new Part(Encoding.ASCII.GetBytes(quoted.Append('"').ToString()), null, 0));
            return this;
        }
        return Literal(new MemoryStream(bytes, writable: false), bytes.Length);
    }

    /// <summary>A mailbox name, in modified UTF-7 (RFC 3501 §5.1.3).</summary>
    public ImapCommand Mailbox(string name) => String(ModifiedUtf7.Encode(name));

    public ImapCommand Literal(Stream content, long length)
    {
        parts.Add(new Part(" "u8.ToArray(), content, length));
        return this;
    }

    /// <summary>Text to send, then optionally a literal of <see cref="Length"/> bytes from <see cref="Literal"/>.</summary>
    internal sealed record Part(byte[] Text, Stream? Literal, long Length);
}
