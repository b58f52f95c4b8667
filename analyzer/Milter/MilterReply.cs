namespace DmarcAnalyzer.Milter;

/// <summary>The final answer to a stage: one of the single-letter replies, or an SMTP reply code with our text.</summary>
internal abstract record MilterReply
{
    public static readonly MilterReply Continue = new Simple(MilterReplyCode.Continue);
    public static readonly MilterReply Accept = new Simple(MilterReplyCode.Accept);
    public static readonly MilterReply Reject = new Simple(MilterReplyCode.Reject);
    public static readonly MilterReply Tempfail = new Simple(MilterReplyCode.Tempfail);

    /// <summary>An SMTP reply such as <c>550</c>, <c>5.7.1 …</c> (RFC 5321 §4.2, RFC 3463 enhanced code in the text).</summary>
    public static MilterReply WithCode(int code, string text) => new Custom(code, text);

    public sealed record Simple(byte Code) : MilterReply;

    public sealed record Custom(int Code, string Text) : MilterReply;
}

/// <summary>A change to the message, sent after end-of-body and before the final reply.</summary>
internal abstract record MilterModification
{
    public sealed record AddHeader(string Name, string Value) : MilterModification;

    /// <summary>Inserts at <paramref name="Index"/> among all headers (0 = on top).</summary>
    public sealed record InsertHeader(uint Index, string Name, string Value) : MilterModification;

    /// <summary>Replaces the <paramref name="Index"/>-th (1-based) header of that name; a null value deletes it.</summary>
    public sealed record ChangeHeader(uint Index, string Name, string? Value) : MilterModification;

    /// <summary>The new body, sent in as many packets as it takes.</summary>
    public sealed record ReplaceBody(ReadOnlyMemory<byte> Body) : MilterModification;

    public sealed record Quarantine(string Reason) : MilterModification;

    /// <summary>The action bit the MTA must have granted for this modification.</summary>
    public MilterActions RequiredAction => this switch
    {
        AddHeader => MilterActions.AddHeaders,
        InsertHeader => MilterActions.AddHeaders,
        ChangeHeader => MilterActions.ChangeHeaders,
        ReplaceBody => MilterActions.ChangeBody,
        Quarantine => MilterActions.Quarantine,
        _ => throw new ArgumentOutOfRangeException(),
    };
}

/// <summary>What the handler decided at end of message.</summary>
internal sealed record MilterDecision(MilterReply Reply, IReadOnlyList<MilterModification> Modifications)
{
    public static readonly MilterDecision Accept = new(MilterReply.Accept, []);
}
