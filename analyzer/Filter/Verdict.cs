namespace DmarcAnalyzer.Filter;

/// <summary>What the filter did with a message.</summary>
internal enum VerdictAction
{
    Accept,
    Reject,

    /// <summary>Refused for now (4xx): DNS trouble, the sender tries again later.</summary>
    Tempfail,
    Quarantine,
    Tag,
    RemoveAttachments,
}

/// <summary>
/// The envelope and client of one message, as the filter sees it (independent of the wire). <paramref name="ClientResolve"/>
/// is Sendmail's <c>{client_resolve}</c> (OK, FAIL, FORGED, TEMP), which says whether <paramref name="ClientName"/> was
/// confirmed by a forward lookup. Postfix 3.7 sends it when asked; where Postfix does not, its client name is already
/// confirmed or "unknown".
/// <paramref name="MtaVersion"/> is the MTA's <c>v</c> macro: "Postfix 3.7.11" from Postfix, a bare version from Sendmail.
/// </summary>
internal sealed record MessageEnvelope(
    string? QueueId,
    string? ClientAddress,
    string? ClientName,
    string? Helo,
    string Sender,
    IReadOnlyList<string> Recipients,
    string? AuthenticatedUser,
    string? DaemonName,
    string? ClientResolve = null,
    string? MtaVersion = null)
{
    /// <summary>
    /// The client's host name when the MTA confirmed it (forward lookup of its PTR name), else null. A missing
    /// <c>{client_resolve}</c> vouches for the name only from Postfix (its client name is confirmed or "unknown"); a
    /// Sendmail that ignored our macro request passes the unconfirmed PTR name.
    /// </summary>
    public string? VerifiedClientName =>
        ClientName is { Length: > 0 } name && name != "unknown"
        && (ClientResolve?.Equals("OK", StringComparison.OrdinalIgnoreCase) ?? IsPostfix)
            ? name
            : null;

    /// <summary>Postfix's <c>v</c> macro is its mail_name and version (milter_macro_v), "Postfix" unless renamed.</summary>
    private bool IsPostfix => MtaVersion?.StartsWith("Postfix ", StringComparison.OrdinalIgnoreCase) ?? false;
}

/// <summary>
/// A header change: add at the end (Index null), insert on top (<paramref name="OnTop"/>), or replace/delete
/// (Value null) the Index-th (1-based) field of that name.
/// </summary>
internal sealed record HeaderEdit(string Name, string? Value, uint? Index = null, bool OnTop = false);

/// <summary>The filter's decision on one message and what the verdict log keeps of it.</summary>
internal sealed record Verdict(VerdictAction Action, string Reason)
{
    public string? RejectText { get; init; }

    public IReadOnlyList<HeaderEdit> HeaderEdits { get; init; } = [];

    public byte[]? NewBody { get; init; }

    public string? QuarantineReason { get; init; }

    public IReadOnlyList<string> RemovedAttachments { get; init; } = [];

    public string? ExceptionUsed { get; init; }

    /// <summary>
    /// SPF, DKIM and DMARC result words (null when not checked); DKIM is pass when any signature passed, else the
    /// first signature's result, none without one.
    /// </summary>
    public string? Spf { get; init; }

    public string? Dkim { get; init; }

    public string? Dmarc { get; init; }

    /// <summary>What an aggregate report says of the message (RFC 9990); null when its DMARC policy asks for no reports.</summary>
    public Outgoing.ReportedMessage? Reported { get; init; }
}

/// <summary>One row of the verdict log.</summary>
internal sealed record VerdictRecord(DateTimeOffset Time, MessageEnvelope Envelope, string? HeaderFrom, Verdict Verdict);
