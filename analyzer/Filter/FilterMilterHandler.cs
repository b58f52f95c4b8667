using DmarcAnalyzer.Milter;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// Connects the engine to the milter: turns the session's envelope into the engine's, the verdict into milter
/// replies, and hands every verdict to the log without waiting for it.
/// </summary>
internal sealed class FilterMilterHandler(FilterEngine engine, VerdictLog verdicts, TimeProvider time, ILogger<FilterMilterHandler> logger) : IMilterHandler
{
    public bool NeedsContent(MilterEnvelope envelope) => !engine.IsSubmission(ToEnvelope(envelope));

    public async ValueTask<MilterDecision> EndOfMessageAsync(MilterEnvelope envelope, MessageSpool message, CancellationToken ct)
    {
        var filterEnvelope = ToEnvelope(envelope);
        Verdict verdict;
        try
        {
            await using var content = message.OpenRead();
            verdict = await engine.DecideAsync(filterEnvelope, message.Headers, content, message.Truncated, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An internal error accepts the message (the design's stated failure behaviour) and is logged.
            logger.LogError(e, "filter error on {QueueId}; message accepted", filterEnvelope.QueueId);
            verdict = new Verdict(VerdictAction.Accept, $"internal error: {e.GetType().Name}: {e.Message}");
        }
        var headerFrom = message.Headers.FirstOrDefault(h => string.Equals(h.Name, "From", StringComparison.OrdinalIgnoreCase)).Value?.Trim();
        verdicts.Add(new VerdictRecord(time.GetUtcNow(), filterEnvelope, headerFrom, verdict));
        if (verdict.Action != VerdictAction.Accept)
            logger.LogInformation("{QueueId}: {Action}: {Reason}", filterEnvelope.QueueId, verdict.Action, verdict.Reason);
        return ToDecision(verdict);
    }

    public static MilterDecision ToDecision(Verdict verdict)
    {
        if (verdict.Action == VerdictAction.Reject)
            return new MilterDecision(MilterReply.WithCode(550, verdict.RejectText ?? "5.7.1 Message refused"), []);
        var modifications = new List<MilterModification>();
        foreach (var edit in verdict.HeaderEdits)
        {
            modifications.Add(edit.Index is { } index
                ? new MilterModification.ChangeHeader(index, edit.Name, edit.Value)
                : new MilterModification.AddHeader(edit.Name, edit.Value ?? ""));
        }
        if (verdict.NewBody is { } body)
            modifications.Add(new MilterModification.ReplaceBody(body));
        if (verdict.QuarantineReason is { } reason)
            modifications.Add(new MilterModification.Quarantine(reason));
        return new MilterDecision(MilterReply.Accept, modifications);
    }

    private static MessageEnvelope ToEnvelope(MilterEnvelope e) => new(
        e.QueueId, e.ClientAddress ?? e.Macro("client_addr"), e.ClientName ?? e.Macro("client_name"), e.Helo,
        e.Sender.Trim().Trim('<', '>'), e.Recipients.Select(r => r.Trim().Trim('<', '>')).ToArray(),
        e.Macro("auth_authen"), e.Macro("daemon_name"));
}
