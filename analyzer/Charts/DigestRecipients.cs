using Microsoft.Extensions.Configuration;
using MimeKit;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// Who gets the digest of which domain: <c>Digest:Recipients</c> maps a domain to its addresses, <c>*</c> to the
/// addresses of every other domain. A domain's list replaces <c>*</c> for it.
/// </summary>
internal sealed record DigestRecipients(IReadOnlyDictionary<string, IReadOnlyList<MailboxAddress>> ByDomain)
{
    public const string Everyone = "*";

    public static DigestRecipients FromConfiguration(IConfigurationSection section)
    {
        var byDomain = new Dictionary<string, IReadOnlyList<MailboxAddress>>(StringComparer.OrdinalIgnoreCase);
        foreach (var domain in section.GetChildren())
        {
            var values = domain.Value is { } single ? [single] : domain.GetChildren().Select(c => c.Value).OfType<string>().ToList();
            byDomain[domain.Key.TrimEnd('.')] = values.Select(v => Parse($"{section.Path}:{domain.Key}", v)).ToList();
        }
        return new DigestRecipients(byDomain);
    }

    public static MailboxAddress Parse(string where, string address) =>
        MailboxAddress.TryParse(address, out var parsed) && parsed.Address.Contains('@')
            ? parsed
            : throw new FormatException($"{where}: '{address}' is not a mail address");

    public IReadOnlyList<MailboxAddress> For(string domain) =>
        ByDomain.TryGetValue(domain, out var list) ? list : ByDomain.GetValueOrDefault(Everyone, []);

    /// <summary>One mail per set of recipients: the domains whose recipients are the same go together.</summary>
    public IReadOnlyList<(IReadOnlyList<MailboxAddress> To, IReadOnlyList<string> Domains)> Group(IEnumerable<string> domains) =>
        domains.Select(d => (Key: string.Join(",", For(d).Select(a => a.Address.ToLowerInvariant()).Order(StringComparer.Ordinal)), Domain: d))
            .Where(x => x.Key.Length > 0)
            .GroupBy(x => x.Key, StringComparer.Ordinal)
            .Select(g => ((IReadOnlyList<MailboxAddress>)For(g.First().Domain), (IReadOnlyList<string>)g.Select(x => x.Domain).ToList()))
            .ToList();
}
