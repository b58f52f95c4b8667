using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Analysis.Enrichment;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc export --format csv|json [--what records|reports|tls|failure-reports] [--out FILE]</c>. TLS reports are one row per
/// failure detail (a policy without any, one row); failure reports one row each, masked as <see cref="FailureReportPrivacy"/> says.
/// Records end with who their source is: service, service_type, asn, as_org, country (empty without a catalogue match or a
/// configured database).
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = "csv or json", Required = true };
        format.AcceptOnlyFromAmong("csv", "json");
        var what = new Option<string>("--what")
        {
            Description = "records (default), reports, tls (SMTP TLS report failure details) or failure-reports",
            DefaultValueFactory = _ => "records",
        };
        what.AcceptOnlyFromAmong("records", "reports", "tls", "failure-reports");
        var output = new Option<FileInfo?>("--out") { Description = "Write to FILE instead of stdout" };
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var command = new Command("export", "Export stored records, reports, TLS reports or failure reports as CSV or JSON") { format, what, output };
        settings.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var configuration = settings.Load(result);
            var path = AppConfiguration.DatabasePath(configuration);
            if (!StoreLocation.Exists(path))
                throw new UsageException($"no database at {path}: run 'dmarc ingest' first or name one with --db");
            var file = result.GetValue(output);
            await using var stream = file is null ? Console.OpenStandardOutput() : file.Create();
            var csv = result.GetValue(format) == "csv";
            switch (result.GetValue(what))
            {
                case "tls":
                {
                    await using var store = await Store.OpenAsync(path, ct);
                    await WriteAsync(stream, csv, store.TlsReports.ExportAsync(ct), ct);
                    break;
                }
                case "failure-reports":
                {
                    await using var store = await Store.OpenAsync(path, ct);
                    var whole = configuration.GetValue<bool>(FailureReportPrivacy.Setting);
                    await WriteAsync(stream, csv, store.FailureReports.ExportAsync(ct).Select(r => whole ? r : Masked(r)), ct);
                    break;
                }
                case "reports":
                {
                    await using var store = await Store.OpenAsync(path, ct);
                    await WriteAsync(stream, csv, store.Export.ReportsAsync(ct), ct);
                    break;
                }
                default:
                {
                    var enricher = EnrichmentSettings.Load(configuration);
                    using var networks = enricher.Networks;
                    await using var store = await Store.OpenAsync(path, ct);
                    var names = await store.Records.PtrNamesAsync(ct);
                    await WriteAsync(stream, csv, RecordEnrichment.EnrichAsync(names, enricher, store.Export.RecordsAsync(ct), ct), ct);
                    break;
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task WriteAsync<T>(Stream stream, bool csv, IAsyncEnumerable<T> rows, CancellationToken ct)
    {
        if (csv)
            await CsvOutput.WriteAsync(stream, rows, ct);
        else
            await JsonSerializer.SerializeAsync(stream, rows, Json, ct);
    }

    /// <summary>RFC 9991's privacy considerations: the addresses' local parts and the subject are personal data.</summary>
    private static FailureReportRow Masked(FailureReportRow r) => r with
    {
        OriginalMailFrom = FailureReportPrivacy.MaskAddressField(r.OriginalMailFrom),
        OriginalRcptTo = FailureReportPrivacy.MaskAddressField(r.OriginalRcptTo),
        HeaderFrom = FailureReportPrivacy.MaskAddressField(r.HeaderFrom),
        HeaderTo = FailureReportPrivacy.MaskAddressField(r.HeaderTo),
        MessageId = FailureReportPrivacy.MaskMessageId(r.MessageId),
        Subject = FailureReportPrivacy.MaskSubject(r.Subject),
        AuthenticationResults = FailureReportPrivacy.MaskAddresses(r.AuthenticationResults),
        SpfDns = FailureReportPrivacy.MaskAddresses(r.SpfDns),
    };

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
