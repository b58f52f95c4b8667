using System.CommandLine;
using DmarcAnalyzer.Ingest;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace DmarcAnalyzer.Cli;

/// <summary><c>dmarc ingest PATH... [--db FILE]</c>: files and folders (recursive) into the store.</summary>
internal static class IngestCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Report files (.xml, .gz, .zip, .eml, any name: the content decides) or folders, read recursively",
            Arity = ArgumentArity.OneOrMore,
        };
        var db = CommonOptions.Database();
        var config = CommonOptions.Config();
        var command = new Command("ingest", "Read DMARC aggregate reports into the database") { paths, db, config };
        command.SetAction(async (result, ct) =>
        {
            var configuration = AppConfiguration.Load(result.GetValue(config));
            var inputs = ExpandInputs(result.GetValue(paths)!);
            var outcome = await IngestAsync(configuration, AppConfiguration.DatabasePath(result.GetValue(db), configuration), inputs, ct);
            Console.Out.WriteLine(outcome.ToSummaryLine());
            return ExitCodes.Of(outcome);
        });
        return command;
    }

    /// <summary>
    /// Ingests the files into the store, with a progress bar when stdout is a terminal. What was found but cannot be
    /// read (a folder that cannot be listed) is stored as a failure first, like a file that cannot be read.
    /// </summary>
    public static async Task<IngestOutcome> IngestAsync(IConfiguration configuration, string database, InputSet inputs, CancellationToken ct)
    {
        var limits = Limits(configuration);
        // The first file is read while logging starts and the store opens: for a large report they take about as long.
        var queue = new InputQueue(inputs.Files, limits, ct);
        using var logs = Logging.CreateFactory();
        await using var pipeline = await IngestPipeline.OpenAsync(database, limits, logs.CreateLogger("ingest"), ct);
        var outcome = IngestOutcome.None;
        foreach (var unreadable in inputs.Unreadable)
            outcome += await pipeline.RecordFailureAsync(Stream.Null, unreadable.Path, unreadable.Reason, ct);
        return outcome + await IngestAllAsync(pipeline, queue, ct);
    }

    /// <summary>The inputs of one run: the files to read, and folders under those named that cannot be listed.</summary>
    internal sealed record InputSet(IReadOnlyList<string> Files, IReadOnlyList<InputFile.Unreadable> Unreadable);

    public static IngestLimits Limits(IConfiguration configuration) =>
        configuration.GetSection("Ingest").Get<IngestLimits>() ?? IngestLimits.Default;

    /// <summary>
    /// Files named, and every file under folders named, in a stable order. A Maildir (mail exported from
    /// elsewhere) contributes the messages in its <c>new/</c> and <c>cur/</c>, never the deliveries in progress in <c>tmp/</c>.
    /// A folder is walked once however many symbolic links lead to it (a link to a folder above is no endless walk);
    /// one that cannot be listed (gone meanwhile, not ours to read, a link loop) is an unreadable input, not the end of the run.
    /// </summary>
    public static InputSet ExpandInputs(IEnumerable<string> paths)
    {
        var files = new List<string>();
        var unreadable = new List<InputFile.Unreadable>();
        var walked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (File.Exists(path))
                files.Add(path);
            else if (Directory.Exists(path))
                AddFolder(path, files, unreadable, walked);
            else if (path.StartsWith('-'))
                throw new UsageException($"unknown option: {path}");
            else
                throw new UsageException($"no such file or folder: {path}");
        }
        return new InputSet(files, unreadable);
    }

    private static void AddFolder(string folder, List<string> files, List<InputFile.Unreadable> unreadable, HashSet<string> walked)
    {
        try
        {
            if (!walked.Add(Directory.ResolveLinkTarget(folder, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(folder)))
                return;
            if (MaildirReader.IsMaildir(folder))
            {
                files.AddRange(MaildirReader.MessageFiles(folder));
                return;
            }
            files.AddRange(Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal));
            foreach (var sub in Directory.EnumerateDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToList())
                AddFolder(sub, files, unreadable, walked);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            unreadable.Add(new InputFile.Unreadable(folder, $"the folder cannot be read: {FileProblem.Reason(e)}"));
        }
    }

    private static async Task<IngestOutcome> IngestAllAsync(IngestPipeline pipeline, InputQueue queue, CancellationToken ct)
    {
        if (Console.IsOutputRedirected || queue.Count < 2)
            return await IngestFilesAsync(pipeline, queue, null, ct);
        var outcome = IngestOutcome.None;
        await AnsiConsole.Progress().AutoClear(true).StartAsync(async progress =>
        {
            var task = progress.AddTask("ingest", maxValue: queue.Count);
            outcome = await IngestFilesAsync(pipeline, queue, task, ct);
        });
        return outcome;
    }

    private static async Task<IngestOutcome> IngestFilesAsync(IngestPipeline pipeline, InputQueue queue, ProgressTask? progress, CancellationToken ct)
    {
        var outcome = IngestOutcome.None;
        for (var i = 0; i < queue.Count; i++)
        {
            // Handed straight on, never kept in a local of this loop: a stored file's bytes are let go at once.
            outcome += await IngestFileAsync(pipeline, await queue.TakeAsync(), ct);
            progress?.Increment(1);
        }
        return outcome;
    }

    private static async Task<IngestOutcome> IngestFileAsync(IngestPipeline pipeline, InputFile input, CancellationToken ct) => input switch
    {
        InputFile.Whole whole => await pipeline.IngestAsync(whole.Raw, whole.Path, ct),
        InputFile.Mbox mbox => await IngestMboxAsync(pipeline, mbox, ct),
        InputFile.Unreadable unreadable => await pipeline.RecordFailureAsync(Stream.Null, unreadable.Path, unreadable.Reason, ct),
        _ => throw new InvalidOperationException(input.GetType().Name),
    };

    /// <summary>An mbox file (mail exported from elsewhere, RFC 4155) is ingested message by message.</summary>
    private static async Task<IngestOutcome> IngestMboxAsync(IngestPipeline pipeline, InputFile.Mbox mbox, CancellationToken ct)
    {
        var outcome = IngestOutcome.None;
        await using var stream = mbox.Stream;
        try
        {
            await foreach (var message in MboxReader.ReadAsync(stream, pipeline.Limits.MaxInputBytes, ct))
            {
                var source = $"{mbox.Path}#{message.Number}";
                using var bytes = new MemoryStream(message.Bytes, writable: false);
                outcome += message.Oversized
                    ? await pipeline.RecordFailureAsync(bytes, source,
                        $"the mbox message is larger than Ingest:MaxInputBytes ({pipeline.Limits.MaxInputBytes:N0} bytes); its beginning is kept", ct)
                    : await pipeline.IngestAsync(bytes, source, ct);
            }
        }
        catch (InvalidDataException e)
        {
            // The messages before the damage are in; the file itself is kept as a failure (re-ingesting it later
            // only adds what is new).
            stream.Position = 0;
            outcome += await pipeline.RecordFailureAsync(stream, mbox.Path, $"the mbox file cannot be read further: {e.Message}", ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            outcome += await pipeline.RecordFailureAsync(Stream.Null, mbox.Path, InputFile.CannotRead(e), ct);
        }
        catch (Exception e) when (IngestPipeline.IsTheInputs(e, ct))
        {
            stream.Position = 0;
            outcome += await pipeline.RecordUnexpectedFailureAsync(stream, mbox.Path, e, ct);
        }
        return outcome;
    }
}
