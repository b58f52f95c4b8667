using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
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
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var command = new Command("export", "Export stored records or reports as CSV or JSON") { format, what, output };
        settings.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var path = AppConfiguration.DatabasePath(settings.Load(result));
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

    // System.Text.Json's default encoder writes control characters and every non-ASCII character (bidi overrides among
    // them) as \u escapes, so report text cannot reach a terminal raw from JSON.
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new UtcTimeConverter() },
    };

    /// <summary>Times as the CSV export writes them, in UTC with a Z (not +00:00): one form for both formats.</summary>
    private sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTimeOffset();

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
    }
}
