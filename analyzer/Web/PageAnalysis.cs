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

    public static async Task<StoreAnalyzer> AnalyzerAsync(ServeOptions options, Store store, CancellationToken ct) =>
        new(await KnownSendersAsync(options, store, ct), new ReverseDnsNames(null, options.Time), BaseDomain.Default);
}
