namespace DmarcAnalyzer.Imap;

internal enum ImapResponseKind { Untagged, Tagged, Continuation }

internal enum ImapStatus { None, Ok, No, Bad, PreAuth, Bye }

/// <summary>
/// One server response (RFC 3501 §7, §9 <c>response</c>). A status response (<c>OK</c>, <c>NO</c>, <c>BAD</c>,
/// <c>PREAUTH</c>, <c>BYE</c>) carries an optional response code and free text; a data response carries its
/// name (<c>CAPABILITY</c>, <c>FETCH</c>, …), the message number before it when there is one, and its tokens.
/// Disposing it releases its literals.
/// </summary>
internal sealed class ImapResponse : IDisposable
{
    public required ImapResponseKind Kind { get; init; }

    /// <summary>The command tag of a tagged response, else null.</summary>
    public string? Tag { get; init; }

    public ImapStatus Status { get; init; }

    /// <summary>Upper-cased response code name (<c>[UIDVALIDITY 3]</c> gives <c>UIDVALIDITY</c>).</summary>
    public string? Code { get; init; }

    /// <summary>The rest of the response code after its name, raw (<c>3</c>).</summary>
    public string CodeArguments { get; init; } = "";

    /// <summary>Human-readable text of a status or continuation response.</summary>
    public string Text { get; init; } = "";

    /// <summary>Upper-cased data response name: <c>CAPABILITY</c>, <c>LIST</c>, <c>SEARCH</c>, <c>EXISTS</c>, <c>FETCH</c>…</summary>
    public string? Name { get; init; }

    /// <summary>The number in <c>* 12 FETCH</c> or <c>* 3 EXISTS</c>.</summary>
    public long? Number { get; init; }

    public IReadOnlyList<ImapToken> Data { get; init; } = [];

    public void Dispose() => Release(Data);

    private static void Release(IReadOnlyList<ImapToken> tokens)
    {
        foreach (var token in tokens)
        {
            if (token is ImapLiteral literal)
                literal.Release();
            else if (token is ImapList list)
                Release(list.Items);
        }
    }

    public override string ToString() => Kind switch
    {
        ImapResponseKind.Continuation => "+ " + Text,
        _ when Status != ImapStatus.None => $"{Tag ?? "*"} {Status.ToString().ToUpperInvariant()} {(Code is null ? "" : $"[{(Code + " " + CodeArguments).TrimEnd()}] ")}{Text}",
        _ => $"* {(Number is null ? "" : Number + " ")}{Name} ({Data.Count} tokens)",
    };
}
