using System.Diagnostics;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// The stages of an analysis and of writing a report, as activities of <see cref="Source"/>: free when nothing listens,
/// timed when something does (<c>DMARC_TIMINGS=true</c> prints them; bench/report).
/// </summary>
internal static class ReportStages
{
    public const string SourceName = "DmarcAnalyzer.Report";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>A stage that ends when disposed; null when nothing listens.</summary>
    public static Activity? Start(string name) => Source.StartActivity(name);
}
