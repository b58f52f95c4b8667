using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Failure;
using DmarcAnalyzer.Reports.Tls;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Xml;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// One code path from raw bytes to the store, shared by files, Maildir/mbox and the IMAP poller:
/// unpack by content, parse each report, commit each in its own transaction; whatever cannot be read is
/// stored in the failures table with its raw bytes and the reason.
/// </summary>
internal sealed class IngestPipeline : IAsyncDisposable
{
    private const int MaxLoggedLength = 1000;
    private readonly IIngestWriter _writer;
    private readonly IngestLimits _limits;
    private readonly ReportAcceptance _acceptance;
    private readonly BatchDns _dns;
    private readonly ILogger _log;

    private IngestPipeline(IIngestWriter writer, IngestLimits limits, ReportAcceptance acceptance, ILogger log)
    {
        _writer = writer;
        _limits = limits;
        _acceptance = acceptance;
        _dns = new BatchDns(acceptance.Resolver, acceptance.HealthProbe, TimeProvider.System);
        _log = log;
    }

    public IngestLimits Limits => _limits;

    /// <summary>A pipeline that accepts every report and verifies report mail without DNS (signed mail is "DNS unavailable").</summary>
    public static Task<IngestPipeline> OpenAsync(string dbPath, IngestLimits limits, ILogger log, CancellationToken ct) =>
        OpenAsync(dbPath, limits, ReportAcceptance.Default, log, ct);

    public static async Task<IngestPipeline> OpenAsync(string dbPath, IngestLimits limits, ReportAcceptance acceptance, ILogger log, CancellationToken ct) =>
        new(await Store.OpenWriterAsync(dbPath, ct), limits, acceptance, log);

    /// <summary>A pipeline over <paramref name="writer"/>, which it disposes (<c>dmarc reparse</c> keeps failures aside).</summary>
    internal static IngestPipeline Over(IIngestWriter writer, IngestLimits limits, ReportAcceptance acceptance, ILogger log) =>
        new(writer, limits, acceptance, log);

    public async Task<IngestOutcome> IngestAsync(Stream input, string source, CancellationToken ct) =>
        await IngestAsync(await BoundedRead.ReadAsync(input, _limits, ct), source, ct);

    /// <summary>
    /// Ingests an input already read (<see cref="BoundedRead"/>, with this pipeline's limits). Whatever goes wrong
    /// with the input makes it, or the report in it, a failure and never ends the batch: only the store's own
    /// errors (<see cref="StoreErrors.IsTheStores"/>) and cancellation leave this method.
    /// </summary>
    public async Task<IngestOutcome> IngestAsync(RawInput raw, string source, CancellationToken ct)
    {
        if (raw.Size > raw.Bytes.Length)
            return await FailAsync(source,
                $"the input is {Megabytes(raw.Size)}, larger than the {Megabytes(_limits.MaxInputBytes)} read (Ingest:MaxInputBytes); " +
                $"only its first {Megabytes(raw.Bytes.Length)} are kept here", raw, ct);

        IReadOnlyList<ExtractedPiece> pieces;
        try
        {
            StageHook?.Invoke(IngestStage.Unpack, source);
            pieces = await ReportUnpacker.UnpackAsync(raw.Bytes, _limits, ct);
        }
        catch (Exception e) when (IsTheInputs(e, ct))
        {
            return await FailUnexpectedlyAsync(source, IngestStage.Unpack, e, raw, ct);
        }
        var mail = pieces.Any(p => p is not ExtractionFailure) ? await CheckMailAsync(raw, source, ct) : null;
        var outcome = IngestOutcome.None;
        foreach (var piece in pieces)
        {
            var where = ReportUnpacker.Join(source, piece.Where);
            outcome += piece switch
            {
                ExtractedXml xml => await StoreAsync(xml.Xml, where, raw, mail, ct),
                ExtractedTlsJson json => await StoreTlsAsync(json.Json, where, raw, mail, ct),
                ExtractedArf arf => await StoreFailureReportAsync(arf, where, raw, mail, ct),
                ExtractionFailure failure => await FailAsync(where, failure.Reason, raw, ct),
                _ => throw new InvalidOperationException(piece.GetType().Name),
            };
        }
        return outcome;
    }

    /// <summary>
    /// The DKIM signatures of an input that is a mail (red-team F9), verified once for all the reports in it; null for a
    /// bare file. An error nobody foresaw in the verifier counts as a signature that failed, never as a failure of the input.
    /// </summary>
    private async Task<ReportMail?> CheckMailAsync(RawInput raw, string source, CancellationToken ct)
    {
        if (ContainerSniffer.Sniff(raw.Bytes.Span) != ContainerKind.Email)
            return null;
        try
        {
            return await ReportMail.CheckAsync(raw.Bytes, _dns, ct);
        }
        catch (Exception e) when (IsTheInputs(e, ct))
        {
            _log.LogError(e, "{Source}: unexpected error while verifying the mail's DKIM signatures", SafeText.Line(source, MaxLoggedLength));
            return new ReportMail(null, [new DkimResult(DkimResultCode.PermError, "", "", null, "unexpected error (logged)")]);
        }
    }

    /// <summary>
    /// The report's verdict, and whether it may be stored (<see cref="ReportAcceptance"/>): a null refusal, or the reason
    /// it is kept as a failure instead. <paramref name="policyDomains"/>: the domains the report is about;
    /// <paramref name="reportEmail"/>: an aggregate report's report_metadata email.
    /// </summary>
    private async Task<(ReportAuthentication Auth, string? Refusal)> AcceptAsync(ReportMail? mail, string? reportEmail,
        IReadOnlyList<string?> policyDomains, CancellationToken ct)
    {
        var auth = mail is null ? ReportAuthentication.NotMail : await mail.AuthenticateAsync(reportEmail, _dns, ct);
        if (policyDomains.Count == 0 && _acceptance.Domains.Count > 0)
            return (auth, "report for a domain not in Analysis:Domains: it names no domain");
        foreach (var domain in policyDomains)
        {
            if (!_acceptance.Covers(domain))
                return (auth, $"report for a domain not in Analysis:Domains: {SafeText.Line(domain ?? "(none)", 253)}");
        }
        if (!_acceptance.RequireVerifiedReports || auth.Verdict is ReportAuthVerdict.Verified or ReportAuthVerdict.NotMail)
            return (auth, null);
        if (auth.Verdict == ReportAuthVerdict.DnsUnavailable)
            return (auth, "report mail's DKIM signature could not be checked: DNS unavailable (Analysis:RequireVerifiedReports; " +
                          "dmarc reparse tries again)");
        var senders = new[] { auth.FromDomain, ReportMail.EmailDomain(reportEmail) }.OfType<string>().Distinct().ToList();
        var by = senders.Count == 0 ? "the reporter's domain (the mail's From has no domain)" : string.Join(" and ", senders);
        var signers = auth.Domains.Count == 0 ? "" : $"; signed by {string.Join(", ", auth.Domains)}";
        return (auth, $"report mail not DKIM-signed by {by}{signers} (Analysis:RequireVerifiedReports)");
    }

    /// <summary>
    /// Test seam: called as each stage of each input or report begins (and for <see cref="IngestStage.Store"/>, just
    /// before the commit); what it throws is taken as that stage's own error.
    /// </summary>
    internal Action<IngestStage, string>? StageHook { get; set; }

    /// <summary>Stores an input that cannot be read at all as a failure, with its raw bytes (bounded) and the reason.</summary>
    public async Task<IngestOutcome> RecordFailureAsync(Stream input, string source, string reason, CancellationToken ct) =>
        await FailAsync(source, reason, await BoundedRead.ReadAsync(input, _limits, ct), ct);

    /// <summary>
    /// Decodes, parses and stores one report. The try covers the report as a whole, never a record: the parse is the
    /// hot path. A report that fails part-way leaves nothing in the store (its transaction rolls back) but its failure.
    /// </summary>
    private async Task<IngestOutcome> StoreAsync(ReadOnlyMemory<byte> xml, string where, RawInput input, ReportMail? mail, CancellationToken ct)
    {
        var stage = IngestStage.Decode;
        try
        {
            StageHook?.Invoke(stage, where);
            var utf8 = XmlUtf8.From(xml);
            stage = IngestStage.Parse;
            StageHook?.Invoke(stage, where);
            var report = AggregateReportReader.OpenUtf8(utf8, _limits.Report);
            var m = report.Header.Metadata;
            var (auth, refusal) = await AcceptAsync(mail, string.IsNullOrWhiteSpace(m.Email) ? null : m.Email, [report.Header.Policy.Domain], ct);
            if (refusal is not null)
                return await FailAsync(where, refusal, input, ct);
            stage = IngestStage.Store;
            var beforeCommit = StageHook is { } hook ? () => hook(IngestStage.Store, where) : (Action?)null;
            if (await _writer.AddAsync(report.Header, report.ReadRecords(), xml, where, auth, ct, beforeCommit) is not { } records)
            {
                _log.LogDebug("{Source}: report {ReportId} from {Org} is already stored", where, m.ReportId, m.OrgName);
                return new IngestOutcome(0, 1, 0, 0);
            }
            _log.LogDebug("{Source}: report {ReportId} from {Org} for {Domain}, {Records} records",
                where, m.ReportId, m.OrgName, report.Header.Policy.Domain, records);
            return new IngestOutcome(1, 0, 0, records);
        }
        catch (Exception e) when (e is ReportFormatException or XmlEncodingException)
        {
            return await FailAsync(where, e.Message, input, ct);
        }
        catch (Exception e) when (IsTheInputs(e, ct))
        {
            return await FailUnexpectedlyAsync(where, stage, e, input, ct);
        }
    }

    /// <summary>Parses and stores one SMTP TLS report (RFC 8460); what cannot be read is a failure with the reason.</summary>
    private async Task<IngestOutcome> StoreTlsAsync(ReadOnlyMemory<byte> json, string where, RawInput input, ReportMail? mail, CancellationToken ct)
    {
        var stage = IngestStage.Parse;
        try
        {
            StageHook?.Invoke(stage, where);
            var report = TlsReportReader.Read(json.Span, _limits.Tls);
            var (auth, refusal) = await AcceptAsync(mail, null, report.Policies.Select(p => p.PolicyDomain).Distinct().ToList(), ct);
            if (refusal is not null)
                return await FailAsync(where, refusal, input, ct);
            stage = IngestStage.Store;
            var beforeCommit = StageHook is { } hook ? () => hook(IngestStage.Store, where) : (Action?)null;
            if (!await _writer.AddTlsReportAsync(report, json, where, auth, ct, beforeCommit))
            {
                _log.LogDebug("{Source}: TLS report {ReportId} from {Org} is already stored", where, report.ReportId, report.OrganizationName);
                return IngestOutcome.None with { TlsDuplicate = 1 };
            }
            _log.LogDebug("{Source}: TLS report {ReportId} from {Org}, {Policies} policies", where, report.ReportId, report.OrganizationName, report.Policies.Count);
            return IngestOutcome.None with { TlsNew = 1 };
        }
        catch (ReportFormatException e)
        {
            return await FailAsync(where, e.Message, input, ct);
        }
        catch (Exception e) when (IsTheInputs(e, ct))
        {
            return await FailUnexpectedlyAsync(where, stage, e, input, ct);
        }
    }

    /// <summary>Reads and stores one DMARC failure report (ARF, RFC 6591); what cannot be read is a failure with the reason.</summary>
    private async Task<IngestOutcome> StoreFailureReportAsync(ExtractedArf arf, string where, RawInput input, ReportMail? mail, CancellationToken ct)
    {
        var stage = IngestStage.Parse;
        try
        {
            StageHook?.Invoke(stage, where);
            var report = FailureReportReader.Read(arf.Message, arf.Raw.Span, ct);
            var (auth, refusal) = await AcceptAsync(mail, null, [report.ReportedDomain], ct);
            if (refusal is not null)
                return await FailAsync(where, refusal, input, ct);
            stage = IngestStage.Store;
            var beforeCommit = StageHook is { } hook ? () => hook(IngestStage.Store, where) : (Action?)null;
            if (!await _writer.AddFailureReportAsync(report, arf.Raw, where, auth, ct, beforeCommit))
            {
                _log.LogDebug("{Source}: failure report {Identity} is already stored", where, report.Identity);
                return IngestOutcome.None with { FailureReportsDuplicate = 1 };
            }
            _log.LogDebug("{Source}: failure report from {Reporter} for {Domain}", where, report.ReportingDomain, report.ReportedDomain);
            return IngestOutcome.None with { FailureReportsNew = 1 };
        }
        catch (ReportFormatException e)
        {
            return await FailAsync(where, e.Message, input, ct);
        }
        catch (Exception e) when (IsTheInputs(e, ct))
        {
            return await FailUnexpectedlyAsync(where, stage, e, input, ct);
        }
    }

    /// <summary>
    /// An error of the input at hand: neither the store's nor the cancellation of the whole run. The store's own
    /// errors (<see cref="StoreErrors.IsTheStores"/>) end the batch: no other input could be stored either. Were one of
    /// them taken for an input's error, storing that input's failure would meet the same error and end the batch all
    /// the same: nothing is lost either way.
    /// </summary>
    public static bool IsTheInputs(Exception e, CancellationToken ct) =>
        !StoreErrors.IsTheStores(e) && !(e is OperationCanceledException && ct.IsCancellationRequested);

    /// <summary>Stores an input whose reading (an mbox file's, message by message) ended in an error nobody foresaw.</summary>
    public async Task<IngestOutcome> RecordUnexpectedFailureAsync(Stream input, string source, Exception e, CancellationToken ct) =>
        await FailUnexpectedlyAsync(source, IngestStage.Unpack, e, await BoundedRead.ReadAsync(input, _limits, ct), ct);

    /// <summary>
    /// An error nobody foresaw (a bug of ours or of a library, met by a hostile input): the input is kept as a failure
    /// with a reason a person can act on; the exception's own text, meant for developers, goes to the log only.
    /// </summary>
    private async Task<IngestOutcome> FailUnexpectedlyAsync(string where, IngestStage stage, Exception e, RawInput raw, CancellationToken ct)
    {
        _log.LogError(e, "{Source}: unexpected error at the {Stage} stage", SafeText.Line(where, MaxLoggedLength), stage);
        return await FailAsync(where, stage switch
        {
            IngestStage.Unpack => "the input could not be unpacked: an unexpected error (logged) while opening it",
            IngestStage.Decode => "the report could not be read: an unexpected error (logged) while decoding its text",
            IngestStage.Parse => "the report could not be read: an unexpected error (logged) while parsing it",
            _ => "the report could not be stored: an unexpected error (logged) while storing it; nothing of it was kept",
        }, raw, ct);
    }

    private async Task<IngestOutcome> FailAsync(string where, string reason, RawInput raw, CancellationToken ct)
    {
        _log.LogWarning("{Source}: {Reason}", SafeText.Line(where, MaxLoggedLength), SafeText.Line(reason, MaxLoggedLength));
        await _writer.AddFailureAsync(where, reason, raw, ct);
        return new IngestOutcome(0, 0, 1, 0);
    }

    /// <summary>Names from strangers' archives reach the log: no control characters (terminal escapes) in it.</summary>

    private static string Megabytes(long bytes) => $"{bytes / (1024.0 * 1024):0.#} MB";

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
