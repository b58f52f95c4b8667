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

    public async Task<IngestOutcome> IngestAsync(Stream input, string source, CancellationToken ct)
    {
        var (data, size) = await ReadBoundedAsync(input, ct);
        var raw = new RawInput(data, size);
        if (size > data.Length)
            return await FailAsync(source,
                $"the input is {Megabytes(size)}, larger than the {Megabytes(_limits.MaxInputBytes)} read (Ingest:MaxInputBytes); " +
                $"only its first {Megabytes(data.Length)} are kept here", raw, ct);

        var outcome = IngestOutcome.None;
        foreach (var piece in await ReportUnpacker.UnpackAsync(data, _limits, ct))
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
    public async Task<IngestOutcome> RecordFailureAsync(Stream input, string source, string reason, CancellationToken ct)
    {
        var (data, size) = await ReadBoundedAsync(input, ct);
        return await FailAsync(source, reason, new RawInput(data, size), ct);
    }

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

    /// <summary>
    /// Reads up to <see cref="IngestLimits.MaxInputBytes"/>; past that, keeps only a prefix for the failure
    /// record and drains the rest to learn its size, without holding it.
    /// </summary>
    private async Task<(ReadOnlyMemory<byte> Data, long Size)> ReadBoundedAsync(Stream input, CancellationToken ct)
    {
        if (input.CanSeek && input.Length - input.Position > _limits.MaxInputBytes)
        {
            var size = input.Length - input.Position;
            var prefix = new byte[_limits.MaxStoredFailureBytes];
            var read = await input.ReadAtLeastAsync(prefix, prefix.Length, throwOnEndOfStream: false, ct);
            return (prefix.AsMemory(0, read), size);
        }
        byte[] chunk;
        MemoryStream buffer;
        long total = 0;
        if (input.CanSeek)
        {
            // A file's length is known: read it straight into one buffer of that size.
            var expected = PrefaultedArray.Allocate((int)(input.Length - input.Position));
            var read = await input.ReadAtLeastAsync(expected, expected.Length, throwOnEndOfStream: false, ct);
            // Fewer bytes than its length: the file shrank while it was read, and its end is reached.
            if (read < expected.Length)
                return (expected.AsMemory(0, read), read);
            // Asked again (a system call, cheaper than a read past the end for each of many small files); a length
            // of 0 is also read past, as /proc's files give no true length.
            if (read > 0 && input.Position >= input.Length)
                return (expected, read);
            chunk = new byte[81920];
            var more = await input.ReadAsync(chunk, ct);
            if (more == 0)
                return (expected, read);
            // More than its length: the file grew while it was read, or gave no true length.
            buffer = new MemoryStream(read + more);
            buffer.Write(expected, 0, read);
            total = read;
            Keep(more);
        }
        else
        {
            chunk = new byte[81920];
            buffer = new MemoryStream();
        }
        int n;
        while ((n = await input.ReadAsync(chunk, ct)) > 0)
            Keep(n);
        var kept = total > _limits.MaxInputBytes ? Math.Min(buffer.Length, _limits.MaxStoredFailureBytes) : buffer.Length;
        return (buffer.GetBuffer().AsMemory(0, (int)kept), total);

        void Keep(int count)
        {
            total += count;
            if (total <= _limits.MaxInputBytes)
                buffer.Write(chunk, 0, count);
        }
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
