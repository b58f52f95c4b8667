using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Web;

/// <summary>The report side's analysis as the pages use it: names from the store's PTR cache only, no DNS while a page renders.</summary>
internal static class PageAnalysis
{
    public static StoreAnalyzer Analyzer(ServeOptions options) =>
        new(options.KnownSenders, new ReverseDnsNames(null, options.Time), BaseDomain.Default);
}
