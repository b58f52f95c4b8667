using DmarcAnalyzer.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Reports;

/// <summary>
/// One code path from raw bytes to the store, shared by files, Maildir/mbox and the IMAP poller:
/// unpack by content, parse each report, commit each in its own transaction; whatever cannot be read is
/// stored in the failures table with its raw bytes and the reason.
/// </summary>
internal sealed class IngestPipeline : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly IngestWriter _writer;
    private readonly IngestLimits _limits;
    private readonly ILogger _log;

    private IngestPipeline(SqliteConnection connection, IngestLimits limits, ILogger log)
    {
        _connection = connection;
        _writer = new IngestWriter(connection);
        _limits = limits;
        _log = log;
    }

    public IngestLimits Limits => _limits;

    public static async Task<IngestPipeline> OpenAsync(string dbPath, IngestLimits limits, ILogger log, CancellationToken ct) =>
        new(await Database.OpenAsync(dbPath, ct), limits, log);

    public async Task<IngestOutcome> IngestAsync(Stream input, string source, CancellationToken ct) =>
        await IngestAsync(await BoundedRead.ReadAsync(input, _limits, ct), source, ct);

    /// <summary>Ingests an input already read (<see cref="BoundedRead"/>, with this pipeline's limits).</summary>
    public async Task<IngestOutcome> IngestAsync(RawInput raw, string source, CancellationToken ct)
    {
        if (raw.Size > raw.Bytes.Length)
            return await FailAsync(source,
                $"the input is {Megabytes(raw.Size)}, larger than the {Megabytes(_limits.MaxInputBytes)} read (Ingest:MaxInputBytes); " +
                $"only its first {Megabytes(raw.Bytes.Length)} are kept here", raw, ct);

        var outcome = IngestOutcome.None;
        foreach (var piece in await ReportUnpacker.UnpackAsync(raw.Bytes, _limits, ct))
        {
            var where = ReportUnpacker.Join(source, piece.Where);
            outcome += piece switch
            {
                ExtractedXml xml => await StoreAsync(xml.Xml, where, raw, ct),
                ExtractionFailure failure => await FailAsync(where, failure.Reason, raw, ct),
                _ => throw new InvalidOperationException(piece.GetType().Name),
            };
        }
        return outcome;
    }

    /// <summary>Stores an input that cannot be read at all as a failure, with its raw bytes (bounded) and the reason.</summary>
    public async Task<IngestOutcome> RecordFailureAsync(Stream input, string source, string reason, CancellationToken ct) =>
        await FailAsync(source, reason, await BoundedRead.ReadAsync(input, _limits, ct), ct);

    private async Task<IngestOutcome> StoreAsync(ReadOnlyMemory<byte> xml, string where, RawInput input, CancellationToken ct)
    {
        try
        {
            var report = AggregateReportReader.Open(xml, _limits);
            var m = report.Header.Metadata;
            if (await _writer.AddAsync(report.Header, report.ReadRecords(), xml, where, ct) is not { } records)
            {
                _log.LogDebug("{Source}: report {ReportId} from {Org} is already stored", where, m.ReportId, m.OrgName);
                return new IngestOutcome(0, 1, 0, 0);
            }
            _log.LogDebug("{Source}: report {ReportId} from {Org} for {Domain}, {Records} records",
                where, m.ReportId, m.OrgName, report.Header.Policy.Domain, records);
            return new IngestOutcome(1, 0, 0, records);
        }
        catch (ReportFormatException e)
        {
            return await FailAsync(where, e.Message, input, ct);
        }
    }

    private async Task<IngestOutcome> FailAsync(string where, string reason, RawInput raw, CancellationToken ct)
    {
        _log.LogWarning("{Source}: {Reason}", Printable(where), Printable(reason));
        await _writer.AddFailureAsync(where, reason, raw, ct);
        return new IngestOutcome(0, 0, 1, 0);
    }

    /// <summary>Names from strangers' archives reach the log: no control characters (terminal escapes) in it.</summary>
    private static string Printable(string text) => string.Concat(text.Select(c => char.IsControl(c) ? '\uFFFD' : c));

    private static string Megabytes(long bytes) => $"{bytes / (1024.0 * 1024):0.#} MB";

    public ValueTask DisposeAsync()
    {
        _writer.Dispose();
        return _connection.DisposeAsync();
    }
}
