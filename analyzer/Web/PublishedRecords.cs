using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Web;

/// <summary>A domain's DMARC and SPF records as checked now; either is null when it could not be checked, and <see cref="Trouble"/> says why.</summary>
internal sealed record PublishedRecordsCheck(DmarcCheckReport? Dmarc, SpfLintReport? Spf, string? Trouble);

/// <summary>
/// The domain page's published records, checked live as <c>dmarc check dmarc</c> and <c>dmarc check spf</c> check
/// them, through the same resolver and within <see cref="Limit"/>, so a DNS server that does not answer costs the
/// page a bounded wait and a "could not be checked" line, never the page.
/// </summary>
internal sealed class PublishedRecords(IDnsResolver dns, PublicSuffixList? psl, string? pslError)
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(4);

    public TimeSpan Limit { get; init; } = DefaultLimit;

    public async Task<PublishedRecordsCheck> CheckAsync(string domain, CancellationToken ct)
    {
        if (AuthorDomains.Normalize(domain) is not { } name)
            return new PublishedRecordsCheck(null, null, "not a domain name that DNS can be asked about");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Limit);
        try
        {
            var dmarc = new DmarcRecordCheck(dns, psl, pslError).CheckAsync(name, limit.Token);
            var spf = new SpfLinter(dns).LintAsync(name, limit.Token);
            await Task.WhenAll(dmarc, spf);
            return new PublishedRecordsCheck(await dmarc, await spf, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new PublishedRecordsCheck(null, null, $"the DNS did not answer within {Limit.TotalSeconds:0} seconds");
        }
    }
}
