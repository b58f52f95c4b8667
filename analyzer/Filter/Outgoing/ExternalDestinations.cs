using System.Globalization;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Filter.Outgoing;

/// <summary>Whether a report may go to a destination: yes, no, or not known now (DNS trouble: try again on the next run).</summary>
internal enum DestinationCheck { Authorised, NotAuthorised, TempError }

/// <summary>
/// The answer for one destination: where the report goes when it is authorised (the destination itself, or the rua=
/// of the authorisation record, which replaces it), or why not.
/// </summary>
internal sealed record DestinationVerdict(DestinationCheck Check, IReadOnlyList<ReportDestination> SendTo, string? Why);

/// <summary>
/// RFC 9990 verification of external destinations: a rua= address whose host lies outside the policy domain's
/// organisational domain receives reports only when <c>&lt;policy domain&gt;._report._dmarc.&lt;host&gt;</c> publishes
/// a TXT record starting with v=DMARC1. Without it a domain could have us mail its reports to anyone.
/// </summary>
internal sealed class ExternalDestinations(IDnsResolver dns)
{
    /// <summary>The longest name DNS carries in text form, without the root's trailing dot (RFC 1035 §2.3.4).</summary>
    private const int MaxNameLength = 253;

    private static readonly IdnMapping Idn = new();

    public static bool IsExternal(string host, string organizationalDomain) =>
        !host.Equals(organizationalDomain, StringComparison.OrdinalIgnoreCase)
        && !host.EndsWith("." + organizationalDomain, StringComparison.OrdinalIgnoreCase);

    public async Task<DestinationVerdict> CheckAsync(string policyDomain, string organizationalDomain,
        ReportDestination destination, CancellationToken ct)
    {
        if (!IsExternal(destination.Host, organizationalDomain))
            return new(DestinationCheck.Authorised, [destination], null);
        // The name is built from A-labels; one that is too long for DNS cannot authorise anything (steps 3 and 4).
        var name = $"{ALabels(policyDomain)}._report._dmarc.{ALabels(destination.Host)}";
        if (name.Length > MaxNameLength || name.Split('.').Any(label => label.Length is 0 or > 63))
            return NotAuthorised($"{name}: the name is too long for DNS, so the destination cannot be verified");
        var lookup = await dns.TxtAsync(name, ct);
        if (lookup.Outcome == DnsOutcome.TempError)
            return new(DestinationCheck.TempError, [], $"{name}: {lookup.Error}");
        // v=DMARC1 must come first; records that do not start with it are discarded (step 6).
        var records = lookup.Outcome == DnsOutcome.Found ? lookup.Records.Where(DmarcRecord.IsDmarc).ToList() : [];
        if (records.Count == 0)
            return NotAuthorised($"{name} publishes no v=DMARC1 record");
        // A rua= there replaces the destination, but only with URIs on the same host: anything else would let the
        // consumer send the reports on to a third party, so neither the original nor the override gets one (step 9).
        if (records.Select(ReportDestination.RuaOf).OfType<string>().FirstOrDefault() is not { } rua)
            return new(DestinationCheck.Authorised, [destination], null);
        var overrides = ReportDestination.Parse(rua);
        if (overrides.Count == 0)
            return NotAuthorised($"{name} replaces the destination with rua={rua}, which has no usable mailto: URI");
        if (overrides.FirstOrDefault(o => !o.Host.Equals(destination.Host, StringComparison.OrdinalIgnoreCase)) is { } elsewhere)
            return NotAuthorised($"{name} replaces the destination with {elsewhere.Address}, on another host");
        return new(DestinationCheck.Authorised, overrides, null);
    }

    private static DestinationVerdict NotAuthorised(string why) => new(DestinationCheck.NotAuthorised, [], why);

    private static string ALabels(string domain)
    {
        try
        {
            return Idn.GetAscii(domain.TrimEnd('.')).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return domain.ToLowerInvariant();
        }
    }
}
