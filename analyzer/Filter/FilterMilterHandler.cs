using System.Text;
using DmarcAnalyzer.Milter;
using Microsoft.Extensions.Logging;
using MimeKit.Utils;

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
            var completeness = message.FieldsLost ? MessageCompleteness.FieldsLost
                : message.Truncated ? MessageCompleteness.Truncated
                : MessageCompleteness.Whole;
            verdict = await engine.DecideAsync(filterEnvelope, message.Headers, content, completeness, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An internal error accepts the message (the design's stated failure behaviour) and is logged.
            logger.LogError(e, "filter error on {QueueId}; message accepted", filterEnvelope.QueueId);
            verdict = new Verdict(VerdictAction.Accept, $"internal error: {e.GetType().Name}: {e.Message}");
        }
        verdicts.Add(new VerdictRecord(time.GetUtcNow(), filterEnvelope, HeaderFrom(message.Headers), verdict));
        if (verdict.Action != VerdictAction.Accept)
            logger.LogInformation("{QueueId}: {Action}: {Reason}", filterEnvelope.QueueId, verdict.Action, verdict.Reason);
        return ToDecision(verdict);
    }

    /// <summary>
    /// The From field for the log: the session keeps header bytes as Latin-1 chars; raw UTF-8 (RFC 6532) is
    /// turned back into text and RFC 2047 encoded words are decoded.
    /// </summary>
    private static string? HeaderFrom(IReadOnlyList<(string Name, string Value)> headers)
    {
        var raw = headers.FirstOrDefault(h => string.Equals(h.Name, "From", StringComparison.OrdinalIgnoreCase)).Value;
        if (raw is null)
            return null;
        var text = Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(raw)).ReplaceLineEndings(" ").Trim();
        return Rfc2047.DecodeText(Encoding.UTF8.GetBytes(text));
    }

    public static MilterDecision ToDecision(Verdict verdict)
    {
        if (verdict.Action == VerdictAction.Reject)
            return new MilterDecision(MilterReply.WithCode(550, verdict.RejectText ?? "5.7.1 Message refused"), []);
        if (verdict.Action == VerdictAction.Tempfail)
            return new MilterDecision(MilterReply.WithCode(451, verdict.RejectText ?? "4.4.3 Try again later"), []);
        var modifications = new List<MilterModification>();
        foreach (var edit in verdict.HeaderEdits)
        {
            // Milter header values fold with a bare LF; the MTA writes its own line ends.
            var value = edit.Value?.Replace("\r\n", "\n");
            modifications.Add(edit switch
            {
                { OnTop: true } => new MilterModification.InsertHeader(0, edit.Name, value ?? ""),
                { Index: { } index } => new MilterModification.ChangeHeader(index, edit.Name, value),
                _ => new MilterModification.AddHeader(edit.Name, value ?? ""),
            });
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
        e.Macro("auth_authen"), e.Macro("daemon_name"), e.Macro("client_resolve"), e.Macro("v"));
}
