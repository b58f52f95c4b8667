namespace DmarcAnalyzer.Milter;

/// <summary>
/// What the MTA told us about one message's SMTP session: the client, HELO, envelope addresses and the macros
/// of every stage so far (names without braces: <c>i</c>, <c>auth_authen</c>, <c>daemon_name</c>).
/// </summary>
internal sealed record MilterEnvelope(
    string? ClientName,
    string? ClientAddress,
    string? Helo,
    string Sender,
    IReadOnlyList<string> Recipients,
    IReadOnlyDictionary<string, string> Macros)
{
    public string? Macro(string name) => Macros.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    /// <summary>The MTA's queue id (macro <c>i</c>), once it has assigned one.</summary>
    public string? QueueId => Macro("i");
}

/// <summary>The filter behind the wire: decides each message. One instance serves every connection.</summary>
internal interface IMilterHandler
{
    /// <summary>
    /// Asked once per message after MAIL FROM: false when no rule will look at the content (the session then
    /// does not collect it).
    /// </summary>
    bool NeedsContent(MilterEnvelope envelope);

    /// <summary>The verdict at end of message. The reply path waits for it, so it does no slow bookkeeping.</summary>
    ValueTask<MilterDecision> EndOfMessageAsync(MilterEnvelope envelope, MessageSpool message, CancellationToken ct);
}
