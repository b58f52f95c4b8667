using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// <c>dmarc ingest</c>'s use case: files, Maildir folders and mbox files into the store, each input through
/// <see cref="IngestPipeline"/>. What was found but cannot be read (a folder that cannot be listed) is stored as a
/// failure first, like a file that cannot be read.
/// </summary>
internal sealed class FileIngest : IAsyncDisposable
{
    private readonly IngestPipeline _pipeline;
    private readonly InputQueue _queue;
    private readonly InputSet _inputs;

    private FileIngest(IngestPipeline pipeline, InputQueue queue, InputSet inputs)
    {
        _pipeline = pipeline;
        _queue = queue;
        _inputs = inputs;
    }

    /// <summary>The files to read: what a progress bar counts.</summary>
    public int Count => _queue.Count;

    public static async Task<FileIngest> OpenAsync(string database, IngestLimits limits, ReportAcceptance acceptance, InputSet inputs, ILogger log,
        CancellationToken ct)
    {
        // The first file is read while the store opens: for a large report they take about as long.
        var queue = new InputQueue(inputs.Files, limits, ct);
        return new FileIngest(await IngestPipeline.OpenAsync(database, limits, acceptance, log, ct), queue, inputs);
    }

    /// <param name="fileDone">Called after each file of <see cref="Count"/>.</param>
    public async Task<IngestOutcome> RunAsync(Action? fileDone, CancellationToken ct)
    {
        var outcome = IngestOutcome.None;
        foreach (var unreadable in _inputs.Unreadable)
            outcome += await _pipeline.RecordFailureAsync(Stream.Null, unreadable.Path, unreadable.Reason, ct);
        for (var i = 0; i < _queue.Count; i++)
        {
            // Handed straight on, never kept in a local of this loop: a stored file's bytes are let go at once.
            outcome += await IngestFileAsync(await _queue.TakeAsync(), ct);
            fileDone?.Invoke();
        }
        return outcome;
    }

    private async Task<IngestOutcome> IngestFileAsync(InputFile input, CancellationToken ct) => input switch
    {
        InputFile.Whole whole => await _pipeline.IngestAsync(whole.Raw, whole.Path, ct),
        InputFile.Mbox mbox => await IngestMboxAsync(mbox, ct),
        InputFile.Unreadable unreadable => await _pipeline.RecordFailureAsync(Stream.Null, unreadable.Path, unreadable.Reason, ct),
        _ => throw new InvalidOperationException(input.GetType().Name),
    };

    /// <summary>An mbox file (mail exported from elsewhere, RFC 4155) is ingested message by message.</summary>
    private async Task<IngestOutcome> IngestMboxAsync(InputFile.Mbox mbox, CancellationToken ct)
    {
        var outcome = IngestOutcome.None;
        await using var stream = mbox.Stream;
        try
        {
            await foreach (var message in MboxReader.ReadAsync(stream, _pipeline.Limits.MaxInputBytes, ct))
            {
                var source = $"{mbox.Path}#{message.Number}";
                using var bytes = new MemoryStream(message.Bytes, writable: false);
                outcome += message.Oversized
                    ? await _pipeline.RecordFailureAsync(bytes, source,
                        $"the mbox message is larger than Ingest:MaxInputBytes ({_pipeline.Limits.MaxInputBytes:N0} bytes); its beginning is kept", ct)
                    : await _pipeline.IngestAsync(bytes, source, ct);
            }
        }
        catch (InvalidDataException e)
        {
            // The messages before the damage are in; the file itself is kept as a failure (re-ingesting it later
            // only adds what is new).
            stream.Position = 0;
            outcome += await _pipeline.RecordFailureAsync(stream, mbox.Path, $"the mbox file cannot be read further: {e.Message}", ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            outcome += await _pipeline.RecordFailureAsync(Stream.Null, mbox.Path, InputFile.CannotRead(e), ct);
        }
        catch (Exception e) when (IngestPipeline.IsTheInputs(e, ct))
        {
            stream.Position = 0;
            outcome += await _pipeline.RecordUnexpectedFailureAsync(stream, mbox.Path, e, ct);
        }
        return outcome;
    }

    public ValueTask DisposeAsync() => _pipeline.DisposeAsync();
}
