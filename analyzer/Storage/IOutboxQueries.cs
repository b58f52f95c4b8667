namespace DmarcAnalyzer.Storage;

/// <summary>A mail ready for the spool: the envelope and the message as the relay will receive it.</summary>
internal sealed record OutboxMail(string Sender, IReadOnlyList<string> Recipients, byte[] Message);

/// <summary>A spooled mail with its id and the attempts made so far.</summary>
internal sealed record SpooledMail(long Id, string Sender, IReadOnlyList<string> Recipients, byte[] Message, int Attempts);

/// <summary>The outbox spool: mail waiting for the relay, kept until it is accepted. SQLite (<see cref="OutboxQueries"/>) and PostgreSQL.</summary>
internal interface IOutboxQueries
{
    Task<long> EnqueueAsync(OutboxMail mail, DateTimeOffset now, CancellationToken ct);

    /// <summary>The mail whose next attempt is due at <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<SpooledMail>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct);

    Task<int> CountAsync(CancellationToken ct);

    /// <summary>The relay accepted the mail: it leaves the spool.</summary>
    Task RemoveAsync(long id, CancellationToken ct);

    Task DeferAsync(long id, DateTimeOffset nextAttempt, string error, CancellationToken ct);
}
