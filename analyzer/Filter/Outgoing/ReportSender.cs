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

    /// <summary>The authorisation could not be checked (DNS trouble): tried again on the next run.</summary>
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
            var (check, why) = await destinations.CheckAsync(domain, last.OrganizationalDomain, destination, ct);
            if (check == DestinationCheck.TempError)
            {
                logger.LogWarning("report for {Domain} on {Day:yyyy-MM-dd} to {Destination} deferred: {Why}", domain, day, address, why);
                results.Add(Result(SendOutcome.Deferred, why));
                continue;
            }
            SendResult result;
            if (check == DestinationCheck.NotAuthorised)
                result = Result(SendOutcome.NotAuthorised, why);
            else if (destination.MaxBytes is { } limit && gzip.Length > limit)
                result = Result(SendOutcome.TooLarge, $"{gzip.Length} bytes, the destination takes at most {limit}");
            else if (dryRunFolder is not null)
            {
                if (!wroteReport)
                    await File.WriteAllBytesAsync(Path.Combine(dryRunFolder, report.FileName), gzip, ct);
                wroteReport = true;
                var mail = ReportMail.Build(report, gzip, destination, time.GetUtcNow());
                await mail.WriteToAsync(Path.Combine(dryRunFolder, $"{report.FileName[..^".xml.gz".Length]}!{address}.eml"), ct);
                results.Add(Result(SendOutcome.Written));
                continue;
            }
            else
                result = Result(SendOutcome.Queued);
            if (result.Outcome != SendOutcome.Queued)
                logger.LogWarning("report for {Domain} on {Day:yyyy-MM-dd} not sent to {Destination}: {Why}", domain, day, address, result.Detail);
            if (dryRunFolder is null)
                await RecordAsync(report, gzip, destination, result, ct);
            results.Add(result);
        }
        return results;
    }

    /// <summary>Spools the mail (when it is to be sent) and notes the destination as handled, in one transaction.</summary>
    private async Task RecordAsync(OutgoingReport report, byte[] gzip, ReportDestination destination, SendResult result, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var mail = result.Outcome == SendOutcome.Queued ? await outbox!.PrepareAsync(ReportMail.Build(report, gzip, destination, now), ct) : null;
        var outcome = result.Outcome switch
        {
            SendOutcome.Queued => OutgoingOutcome.Queued,
            SendOutcome.TooLarge => OutgoingOutcome.TooLarge,
            _ => OutgoingOutcome.NotAuthorised,
        };
        await ledger.AddAsync(new OutgoingReportRow(result.Domain, report.Begin.ToUnixTimeSeconds(), result.Destination,
            report.ReportId, outcome, result.Size, result.Messages, result.Detail, now.ToUnixTimeSeconds()), mail, ct);
    }
}
