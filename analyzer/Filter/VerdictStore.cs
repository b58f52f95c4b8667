using System.Text.Json;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Filter;

/// <summary>Writes verdicts into the store's verdict log, one transaction per batch.</summary>
internal static class VerdictStore
{
    public static Task WriteAsync(IVerdictQueries verdicts, IReadOnlyList<VerdictRecord> batch, CancellationToken ct) =>
        verdicts.WriteAsync(batch.Select(Row).ToList(), ct);

    private static VerdictRow Row(VerdictRecord record)
    {
        var (envelope, verdict) = (record.Envelope, record.Verdict);
        return new VerdictRow(
            record.Time.ToUnixTimeSeconds(), envelope.QueueId, envelope.ClientAddress, envelope.ClientName, envelope.Helo,
            envelope.Sender, JsonSerializer.Serialize(envelope.Recipients), record.HeaderFrom,
            verdict.Spf, verdict.Dkim, verdict.Dmarc, verdict.Action.ToString().ToLowerInvariant(), verdict.Reason,
            verdict.RemovedAttachments.Count == 0 ? null : JsonSerializer.Serialize(verdict.RemovedAttachments),
            verdict.ExceptionUsed);
    }
}
