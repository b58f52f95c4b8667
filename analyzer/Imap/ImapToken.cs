using System.Text;

namespace DmarcAnalyzer.Imap;

/// <summary>One element of a response's data (RFC 3501 §4): atoms, strings, NIL and parenthesised lists.</summary>
internal abstract record ImapToken
{
    /// <summary>The token as text: atoms, quoted strings and small literals; null for NIL and lists.</summary>
    public virtual string? Text => null;
}

/// <summary>An atom, number, flag (<c>\Seen</c>) or fetch item name with its section (<c>BODY[]</c>).</summary>
internal sealed record ImapAtom(string Value) : ImapToken
{
    public override string Text => Value;
}

internal sealed record ImapQuoted(string Value) : ImapToken
{
    public override string Text => Value;
}

internal sealed record ImapNil : ImapToken
{
    public static ImapNil Instance { get; } = new();
}

internal sealed record ImapList(IReadOnlyList<ImapToken> Items) : ImapToken;

/// <summary>A literal (<c>{n}</c>); its bytes stay in a <see cref="LiteralBuffer"/>, on disk when large.</summary>
internal sealed record ImapLiteral(LiteralBuffer Content) : ImapToken
{
    private bool taken;

    /// <summary>Takes the bytes out of the response: disposing the response no longer releases them.</summary>
    public LiteralBuffer Take()
    {
        taken = true;
        return Content;
    }

    public void Release()
    {
        if (!taken)
            Content.Dispose();
    }

    /// <summary>Literals used as strings (mailbox names, say) are small; message bodies are not read as text.</summary>
    private const int MaxTextBytes = 64 * 1024;

    public override string? Text => Content.Length <= MaxTextBytes ? Encoding.UTF8.GetString(Content.ToArray()) : null;
}
