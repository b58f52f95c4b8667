using System.CommandLine;
using System.Text.Json;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Cli;

/// <summary><c>dmarc export --format csv|json [--what records|reports] [--out FILE]</c>.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = "csv or json", Required = true };
        format.AcceptOnlyFromAmong("csv", "json");
        var what = new Option<string>("--what") { Description = "records (default) or reports", DefaultValueFactory = _ => "records" };
        what.AcceptOnlyFromAmong("records", "reports");
        var output = new Option<FileInfo?>("--out") { Description = "Write to FILE instead of stdout" };
        var db = CommonOptions.Database();
        var config = CommonOptions.Config();
        var command = new Command("export", "Export stored records or reports as CSV or JSON") { format, what, output, db, config };
        command.SetAction(async (result, ct) =>
        {
            var configuration = AppConfiguration.Load(result.GetValue(config));
            var path = AppConfiguration.DatabasePath(result.GetValue(db), configuration);
            if (!File.Exists(path))
                throw new UsageException($"no database at {path}: run 'dmarc ingest' first or name one with --db");
            await using var connection = await Database.OpenAsync(path, ct);
            var file = result.GetValue(output);
            await using var stream = file is null ? Console.OpenStandardOutput() : file.Create();
            var records = result.GetValue(what) == "records";
            if (result.GetValue(format) == "csv")
            {
                if (records)
                    await CsvOutput.WriteAsync(stream, ExportQueries.RecordsAsync(connection, ct), ct);
                else
                    await CsvOutput.WriteAsync(stream, ExportQueries.ReportsAsync(connection, ct), ct);
            }
            else if (records)
            {
                await JsonSerializer.SerializeAsync(stream, ExportQueries.RecordsAsync(connection, ct), Json, ct);
            }
            else
            {
                await JsonSerializer.SerializeAsync(stream, ExportQueries.ReportsAsync(connection, ct), Json, ct);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
}
