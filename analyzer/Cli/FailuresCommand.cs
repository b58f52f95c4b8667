using System.CommandLine;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;
using Spectre.Console;

namespace DmarcAnalyzer.Cli;

/// <summary><c>dmarc failures</c> lists inputs that could not be read; <c>dmarc failures show ID [--raw]</c> shows one.</summary>
internal static class FailuresCommand
{
    public static Command Create()
    {
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var list = new Command("failures", "List inputs that could not be read, with the reason");
        settings.AddTo(list);
        list.SetAction(async (result, ct) =>
        {
            await using var store = await OpenAsync(result, settings, ct);
            var rows = await store.Failures.ListAsync(ct);
            var table = new Table().AddColumns("id", "when (UTC)", "size", "source", "reason");
            foreach (var f in rows)
                // Sources and reasons carry names from strangers' archives: no control characters to the terminal.
                table.AddRow(f.Id.ToString(), f.Created.ToString("yyyy-MM-dd HH:mm"), Size(f.Size),
                    Markup.Escape(SafeText.Line(f.Source, 300)), Markup.Escape(SafeText.Line(f.Reason, 500)));
            AnsiConsole.Write(table);
            Console.WriteLine(Analysis.Wording.Count(rows.Count, "failure"));
            return ExitCodes.Ok;
        });

        var id = new Argument<long>("ID") { Description = "Failure id, as 'dmarc failures' lists it" };
        var raw = new Option<bool>("--raw") { Description = "Write the original bytes to stdout" };
        var show = new Command("show", "Show one failure, or its original bytes with --raw") { id, raw };
        settings.AddTo(show);
        show.SetAction(async (result, ct) =>
        {
            await using var store = await OpenAsync(result, settings, ct);
            var failure = await store.Failures.FindAsync(result.GetValue(id), ct)
                ?? throw new UsageException($"no failure with id {result.GetValue(id)}");
            if (result.GetValue(raw))
            {
                await using var stdout = Console.OpenStandardOutput();
                await store.Failures.CopyRawAsync(failure.Id, stdout, ct);
                return ExitCodes.Ok;
            }
            Console.WriteLine($"id: {failure.Id}");
            Console.WriteLine($"when: {failure.Created:yyyy-MM-dd'T'HH:mm:ss'Z'}");
            Console.WriteLine($"source: {SafeText.Line(failure.Source, 1000)}");
            Console.WriteLine($"size: {failure.Size} bytes{(failure.RawTruncated ? " (only a prefix is kept)" : "")}");
            Console.WriteLine($"reason: {SafeText.Line(failure.Reason, 1000)}");
            return ExitCodes.Ok;
        });
        list.Subcommands.Add(show);
        return list;
    }

    private static async Task<Store> OpenAsync(
        ParseResult result, CommandConfiguration settings, CancellationToken ct)
    {
        var path = AppConfiguration.DatabasePath(settings.Load(result));
        if (!StoreLocation.Exists(path))
            throw new UsageException($"no database at {path}: run 'dmarc ingest' first or name one with --db");
        return await Store.OpenAsync(path, ct);
    }

    private static string Size(long bytes) => bytes < 1024 ? $"{bytes} B" : bytes < 1 << 20 ? $"{bytes / 1024.0:0.#} KB" : $"{bytes / 1048576.0:0.#} MB";
}
