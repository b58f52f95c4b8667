using System.Globalization;
using System.Reflection;
using System.Text.Json;
using CsvHelper;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// Writes rows of a record type as CSV: one snake_case column per property, times as ISO-8601 UTC.
/// Report data is written by strangers, so text that a spreadsheet would run as a formula is escaped, and control and
/// directional formatting characters (terminal escapes, bidi overrides) are neutralised (<see cref="SafeText"/>).
/// </summary>
internal static class CsvOutput
{
    public static async Task WriteAsync<T>(Stream stream, IAsyncEnumerable<T> rows, CancellationToken ct)
    {
        var properties = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance);
        await using var csv = CsvWriter.Create(stream, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        csv.WriteHeader(properties.Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).ToArray());
        await foreach (var row in rows.WithCancellation(ct))
        {
            foreach (var property in properties)
                csv.WriteField(Format(property.GetValue(row)));
            await csv.EndRecordAsync(ct);
        }
        await csv.FlushAsync(ct);
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        DateTimeOffset time => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        string text => SafeText.Neutralise(text),
        _ => SafeText.Neutralise(value.ToString() ?? ""),
    };
}
