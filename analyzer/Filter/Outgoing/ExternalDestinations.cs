using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Filter.Outgoing;

/// <summary>Whether a report may go to a destination: yes, no, or not known now (DNS trouble: try again on the next run).</summary>
internal enum DestinationCheck { Authorised, NotAuthorised, TempError }

/// <summary>
/// RFC 9990 verification of external destinations: a rua= address whose host lies outside the policy domain's
/// organisational domain receives reports only when <c>&lt;policy domain&gt;._report._dmarc.&lt;host&gt;</c> publishes
/// a TXT record starting with v=DMARC1. Without it a domain could have us mail its reports to anyone.
/// </summary>
internal sealed class ExternalDestinations(IDnsResolver dns)
{
    public static bool IsExternal(string host, string organizationalDomain) =>
        !host.Equals(organizationalDomain, StringComparison.OrdinalIgnoreCase)
        && !host.EndsWith("." + organizationalDomain, StringComparison.OrdinalIgnoreCase);

    public async Task<(DestinationCheck Check, string? Why)> CheckAsync(string policyDomain, string organizationalDomain,
        ReportDestination destination, CancellationToken ct)
    {
        if (!IsExternal(destination.Host, organizationalDomain))
            return (DestinationCheck.Authorised, null);
        var name = $"{policyDomain}._report._dmarc.{destination.Host}";
        var lookup = await dns.TxtAsync(name, ct);
        return lookup.Outcome switch
        {
            DnsOutcome.TempError => (DestinationCheck.TempError, $"{name}: {lookup.Error}"),
            DnsOutcome.Found when lookup.Records.Any(DmarcRecord.IsDmarc) => (DestinationCheck.Authorised, null),
            _ => (DestinationCheck.NotAuthorised, $"{name} publishes no v=DMARC1 record"),
        };
    }
}
