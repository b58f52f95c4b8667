using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Web;

/// <summary>
/// The report side's analysis as the pages use it: names from the store's PTR cache only, no DNS while a page renders;
/// the known senders are the configuration's and, after them, those marked on the dashboard.
/// </summary>
internal static class PageAnalysis
{
    public static async Task<KnownSenders> KnownSendersAsync(ServeOptions options, Store store, CancellationToken ct) =>
        options.KnownSenders.With(await store.KnownSenders.ListAsync(ct));

    public static StoreAnalyzer Analyzer(ServeOptions options, IReadOnlyList<KnownSenderRow> marked) =>
        new(options.KnownSenders.With(marked), new ReverseDnsNames(null, options.Time), BaseDomain.Default);

    /// <summary>The note on a page whose figures are being brought up to date, empty when they are current.</summary>
    public static string Freshness(ServedAnalysis served) => served.Updating
        ? $"<p class=\"muted updating\" role=\"status\">Figures as of {Html.Time(served.AsOf)} UTC, updating.</p>"
        : "";
}
