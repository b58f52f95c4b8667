using System.IO.Compression;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Failure;
using DmarcAnalyzer.Reports.Tls;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Xml;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// What <c>dmarc reparse</c> did. Stored reports: re-read, changed (replaced in place), in conflict with another stored
/// report, unreadable now (left as stored). Failures: re-read, and what their re-reading stored (<see cref="Ingested"/>:
/// its Failed counts the inputs that still fail).
/// </summary>
internal sealed record ReparseOutcome(int Reports, int Changed, int Conflicts, int Unreadable, int Failures, int Resolved, IngestOutcome Ingested)
{
    public string ToLine() =>
        $"reparse: {Reports} stored reports re-read, {Changed} changed, {Conflicts} in conflict, {Unreadable} unreadable now; " +
        $"{Failures} failures re-read, {Resolved} now stored";
}

/// <summary>
/// Re-reads what the store keeps raw with today's readers, after a reader was fixed: every stored aggregate report
/// (its header and records replaced in place when they come out different, see <see cref="ReparseQueries.ReplaceAsync"/>),
/// and every failure through the whole ingest pipeline (a failure that now reads whole is removed, its reports stored
/// as ingest would). A second run finds nothing to change: stored rows that do not differ are not written, and a failure
/// that still fails is not stored again. A report the reader now refuses is left as stored and logged: a reader that
/// got worse must not delete data.
/// </summary>
internal static class Reparse
{
    public static async Task<ReparseOutcome> RunAsync(string database, DateTimeOffset? since, IngestLimits limits, ReportAcceptance acceptance, ILogger log,
        CancellationToken ct)
    {
        int reports = 0, changed = 0, conflicts = 0, unreadable = 0;
        await using var queries = await ReparseQueries.OpenAsync(database, ct);
        foreach (var id in await queries.ReportIdsAsync(since?.ToUnixTimeSeconds(), ct))
        {
            if (await queries.RawAsync(id, ct) is not { } raw)
                continue;
            reports++;
            try
            {
                var xml = await GunzipAsync(raw.RawGzip, limits, ct);
                var report = AggregateReportReader.OpenUtf8(XmlUtf8.From(xml), limits.Report);
                switch (await queries.ReplaceAsync(id, report.Header, report.ReadRecords(), ct))
                {
                    case ReparseChange.Changed:
                        changed++;
                        log.LogInformation("{Source}: report {Id} re-read with changes", raw.Source, id);
                        break;
                    case ReparseChange.Conflict:
                        conflicts++;
                        log.LogWarning("{Source}: report {Id} now reads as another stored report; left as it was", raw.Source, id);
                        break;
                }
            }
            catch (Exception e) when (e is ReportFormatException or XmlEncodingException or InvalidDataException)
            {
                unreadable++;
                log.LogWarning("{Source}: report {Id} cannot be read now ({Message}); left as stored", raw.Source, id, e.Message);
            }
        }

        int failures = 0, resolved = 0;
        var ingested = IngestOutcome.None;
        await using var store = await Store.OpenAsync(database, ct);
        await using var pipeline = IngestPipeline.Over(new FailuresAside(await Store.OpenWriterAsync(database, ct)), limits, acceptance, log);
        foreach (var failure in await store.Failures.ListAsync(ct))
        {
            if (since is { } from && failure.Created < from)
                continue;
            failures++;
            if (failure.RawTruncated)
            {
                ingested += IngestOutcome.None with { Failed = 1 };
                continue;
            }
            using var bytes = new MemoryStream();
            await store.Failures.CopyRawAsync(failure.Id, bytes, ct);
            bytes.Position = 0;
            var outcome = await pipeline.IngestAsync(bytes, failure.Source, ct);
            ingested += outcome;
            if (outcome.Failed == 0)
            {
                await queries.RemoveFailureAsync(failure.Id, ct);
                resolved++;
            }
        }
        return new ReparseOutcome(reports, changed, conflicts, unreadable, failures, resolved, ingested);
    }

    /// <summary>The XML as ingest stored it, bounded as any input is.</summary>
    private static async Task<ReadOnlyMemory<byte>> GunzipAsync(byte[] gzip, IngestLimits limits, CancellationToken ct)
    {
        await using var stream = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        var raw = await BoundedRead.ReadAsync(stream, limits, ct);
        if (raw.Size > raw.Bytes.Length)
            throw new InvalidDataException($"the stored report is larger than {limits.MaxInputBytes} bytes (Ingest:MaxInputBytes)");
        return raw.Bytes;
    }

    /// <summary>
    /// Stores what the pipeline reads, but not its failures: the failure being re-read is already stored, and its pieces
    /// would come back under another name (the source with the piece's path once more).
    /// </summary>
    private sealed class FailuresAside(IIngestWriter writer) : IIngestWriter
    {
        public Task<long?> AddAsync(ReportHeader header, IEnumerable<ReportRecord> records, ReadOnlyMemory<byte> xml, string source,
            ReportAuthentication auth, CancellationToken ct, Action? beforeCommit = null) =>
            writer.AddAsync(header, records, xml, source, auth, ct, beforeCommit);

        public Task<bool> AddTlsReportAsync(TlsReport report, ReadOnlyMemory<byte> raw, string source, ReportAuthentication auth, CancellationToken ct,
            Action? beforeCommit = null) => writer.AddTlsReportAsync(report, raw, source, auth, ct, beforeCommit);

        public Task<bool> AddFailureReportAsync(FailureReport report, ReadOnlyMemory<byte> raw, string source, ReportAuthentication auth, CancellationToken ct,
            Action? beforeCommit = null) => writer.AddFailureReportAsync(report, raw, source, auth, ct, beforeCommit);

        public Task AddFailureAsync(string source, string reason, RawInput raw, CancellationToken ct) => Task.CompletedTask;

        public ValueTask DisposeAsync() => writer.DisposeAsync();
    }
}
