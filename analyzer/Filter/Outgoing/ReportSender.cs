using System.Text.Json;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Filter.Outgoing;

/// <summary>What became of a day's report for one destination.</summary>
internal enum SendOutcome
{
    /// <summary>In the outbox, which sends it and retries it while the relay does not take it.</summary>
    Queued,

    /// <summary>Written to the dry-run folder; nothing marked as sent.</summary>
    Written,

    /// <summary>Handled by an earlier run: nothing new.</summary>
    AlreadyHandled,

    /// <summary>An external destination that does not publish its authorisation (RFC 9990): never sent.</summary>
    NotAuthorised,

    /// <summary>Larger than the destination's size limit: not sent.</summary>
    TooLarge,

    /// <summary>The authorisation could not be checked (DNS trouble): noted in the ledger and tried again by the next runs.</summary>
    Deferred,
}

internal sealed record SendResult(string Domain, string Destination, SendOutcome Outcome, long Messages, long Size, string? Detail);

/// <summary>
/// Turns a UTC day of the verdict log into RFC 9990 aggregate reports, one per policy domain with a rua=, and hands
/// each to its destinations once: through the outbox, or into a dry-run folder (a gzip file under its RFC 9990 name,
/// and each destination's mail as .eml beside it). The outbox spool and the ledger of handled destinations are
/// written in one transaction, so a crash or a second run neither loses a report nor sends it twice.
/// </summary>
internal sealed class ReportSender(IOutgoingReportQueries ledger, OutgoingReportSettings settings, ExternalDestinations destinations,
    Outbox? outbox, TimeProvider time, ILogger<ReportSender> logger)
{
    public async Task<IReadOnlyList<SendResult>> SendAsync(DateOnly day, string? dryRunFolder, CancellationToken ct)
    {
        if (dryRunFolder is null && outbox is null)
            throw new InvalidOperationException("sending reports needs the outbox (Smtp settings)");
        var begin = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        // The whole day is read before anything is sent: the spool and the ledger are written on the same store, not
        // while its reader is open. Memory grows with the distinct rows, not with the messages.
        var domains = new SortedDictionary<string, ReportRows>(StringComparer.Ordinal);
        await foreach (var (domain, facts) in ledger.FactsAsync(begin.ToUnixTimeSeconds(), begin.AddDays(1).ToUnixTimeSeconds(), ct))
        {
            if (settings.Excludes(domain) || Read(domain, facts) is not { } message)
                continue;
            if (!domains.TryGetValue(domain, out var rows))
                domains.Add(domain, rows = new ReportRows());
            rows.Add(message);
        }
        var results = new List<SendResult>();
        foreach (var (domain, rows) in domains)
            results.AddRange(await SendDomainAsync(domain, day, rows, dryRunFolder, ct));
        return results;
    }

    /// <summary>How many days before the one reported a run looks back for deferred destinations; older ones are given up.</summary>
    public const int RetryDays = 7;

    /// <summary>The days in the <see cref="RetryDays"/> before <paramref name="day"/> with a destination deferred, oldest first.</summary>
    public async Task<IReadOnlyList<DateOnly>> DeferredDaysBeforeAsync(DateOnly day, CancellationToken ct)
    {
        var end = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var days = await ledger.DeferredDaysAsync(end.AddDays(-RetryDays).ToUnixTimeSeconds(), end.ToUnixTimeSeconds(), ct);
        return days.Select(begin => DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds(begin).UtcDateTime)).ToList();
    }

    private ReportedMessage? Read(string domain, string facts)
    {
        try
        {
            return ReportedMessage.FromJson(facts);
        }
        catch (JsonException e)
        {
            logger.LogError("a verdict's report facts for {Domain} cannot be read and are left out: {Error}", domain, e.Message);
            return null;
        }
    }

    private async Task<List<SendResult>> SendDomainAsync(string domain, DateOnly day, ReportRows rows, string? dryRunFolder,
        CancellationToken ct)
    {
        var results = new List<SendResult>();
        if (rows.Last is not { } last)
            return results;
        var report = OutgoingReport.Of(settings, day, rows);
        var gzip = AggregateReportXml.Gzip(report);
        var handled = dryRunFolder is null
            ? await ledger.HandledAsync(domain, report.Begin.ToUnixTimeSeconds(), ct)
            : new HashSet<string>();
        var wroteReport = false;
        foreach (var destination in ReportDestination.Parse(last.Policy.Rua))
        {
            var address = destination.Address.ToLowerInvariant();
            SendResult Result(SendOutcome outcome, string? detail = null) =>
                new(domain, address, outcome, report.Messages, gzip.Length, detail);
            if (handled.Contains(address))
            {
                results.Add(Result(SendOutcome.AlreadyHandled));
                continue;
            }
            var verdict = await destinations.CheckAsync(domain, last.OrganizationalDomain, destination, ct);
            var sendTo = verdict.SendTo;
            // The authorisation record may replace the destination (RFC 9990 "Verifying External Destinations", step 9).
            var replaced = sendTo.Count > 0 && !(sendTo.Count == 1 && sendTo[0].Address.Equals(destination.Address, StringComparison.OrdinalIgnoreCase))
                ? $"sent to {string.Join(", ", sendTo.Select(d => d.Address))}, as its authorisation record asks"
                : null;
            var limit = sendTo.Select(d => d.MaxBytes).OfType<long>().DefaultIfEmpty(long.MaxValue).Min();
            SendResult result = verdict.Check switch
            {
                DestinationCheck.TempError => Result(SendOutcome.Deferred, verdict.Why),
                DestinationCheck.NotAuthorised => Result(SendOutcome.NotAuthorised, verdict.Why),
                _ when gzip.Length > limit => Result(SendOutcome.TooLarge, $"{gzip.Length} bytes, the destination takes at most {limit}"),
                _ when dryRunFolder is not null => Result(SendOutcome.Written, replaced),
                _ => Result(SendOutcome.Queued, replaced),
            };
            if (result.Outcome is not (SendOutcome.Queued or SendOutcome.Written))
                logger.LogWarning("report for {Domain} on {Day:yyyy-MM-dd} not sent to {Destination}: {Outcome}: {Why}", domain, day, address,
                    result.Outcome, result.Detail);
            if (dryRunFolder is not null)
            {
                if (result.Outcome == SendOutcome.Written)
                {
                    if (!wroteReport)
                        await File.WriteAllBytesAsync(Path.Combine(dryRunFolder, report.FileName), gzip, ct);
                    wroteReport = true;
                    var mail = ReportMail.Build(report, gzip, sendTo, time.GetUtcNow());
                    await mail.WriteToAsync(Path.Combine(dryRunFolder, $"{report.FileName[..^".xml.gz".Length]}!{address}.eml"), ct);
                }
                results.Add(result);
                continue;
            }
            results.Add(await RecordAsync(report, gzip, sendTo, result, ct) ? result : Result(SendOutcome.AlreadyHandled));
        }
        return results;
    }

    /// <summary>
    /// Spools the mail (when it is to be sent) and notes the destination as handled or deferred, in one transaction;
    /// false when another run handled the destination meanwhile.
    /// </summary>
    private async Task<bool> RecordAsync(OutgoingReport report, byte[] gzip, IReadOnlyList<ReportDestination> sendTo, SendResult result,
        CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var mail = result.Outcome == SendOutcome.Queued ? await outbox!.PrepareAsync(ReportMail.Build(report, gzip, sendTo, now), ct) : null;
        var outcome = result.Outcome switch
        {
            SendOutcome.Queued => OutgoingOutcome.Queued,
            SendOutcome.TooLarge => OutgoingOutcome.TooLarge,
            SendOutcome.Deferred => OutgoingOutcome.Deferred,
            _ => OutgoingOutcome.NotAuthorised,
        };
        return await ledger.AddAsync(new OutgoingReportRow(result.Domain, report.Begin.ToUnixTimeSeconds(), result.Destination,
            report.ReportId, outcome, result.Size, result.Messages, result.Detail, now.ToUnixTimeSeconds()), mail, ct);
    }
}
