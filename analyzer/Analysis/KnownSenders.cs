using System.Net;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// One sender the organisation uses: its own outbound servers or a service sending in its name,
/// recognised by address range or by the domain of its forward-confirmed reverse DNS name.
/// </summary>
internal sealed record KnownSender(string Name, IReadOnlyList<IPNetwork> Ranges, IReadOnlyList<string> PtrDomains);

/// <summary>
/// The configuration's <c>Analysis:KnownSenders</c>, for example
/// <c>[{ "Name": "our relays", "Ranges": ["192.0.2.0/24", "2001:db8::/32"], "PtrDomains": ["mail.example.com"] }]</c>.
/// A mail that fails DMARC from one of these is "authorised but failing": a configuration to fix, not spoofing.
/// </summary>
internal sealed class KnownSenders(IReadOnlyList<KnownSender> senders)
{
    private const int MaxSenders = 1000;
    private const int MaxEntriesPerSender = 1000;

    public static readonly KnownSenders None = new([]);

    public IReadOnlyList<KnownSender> Senders { get; } = senders;

    /// <summary>The first listed sender the address is in, or whose PTR domain the name is (or is under).</summary>
    public KnownSender? Match(IPAddress? address, string? ptrName)
    {
        if (address is { IsIPv4MappedToIPv6: true })
            address = address.MapToIPv4();
        foreach (var sender in Senders)
        {
            if (address is not null && sender.Ranges.Any(r => r.Contains(address)))
                return sender;
            if (ptrName is not null && sender.PtrDomains.Any(d =>
                    ptrName.Equals(d, StringComparison.OrdinalIgnoreCase) ||
                    ptrName.EndsWith("." + d, StringComparison.OrdinalIgnoreCase)))
                return sender;
        }
        return null;
    }

    /// <summary>
    /// These senders and, after them, those kept in the store (marked on the dashboard), grouped by name. The
    /// configuration wins on conflict: where both recognise an address or a name, the first match is the configuration's.
    /// </summary>
    public KnownSenders With(IReadOnlyList<KnownSenderRow> stored) =>
        stored.Count == 0 ? this : new KnownSenders([.. Senders, .. stored.GroupBy(r => r.Name, StringComparer.Ordinal).Select(g => new KnownSender(g.Key,
            g.Where(r => r.Kind == KnownSenderKind.Range).Select(r => IPNetwork.Parse(r.Value)).ToList(),
            g.Where(r => r.Kind == KnownSenderKind.PtrDomain).Select(r => r.Value).ToList()))]);

    /// <summary>Reads the section; a bad range or a missing name is a <see cref="FormatException"/> saying which.</summary>
    public static KnownSenders FromConfiguration(IConfigurationSection section)
    {
        var senders = new List<KnownSender>();
        foreach (var child in section.GetChildren())
        {
            if (senders.Count == MaxSenders)
                throw new FormatException($"{section.Path}: more than {MaxSenders} known senders");
            var name = child["Name"];
            if (string.IsNullOrWhiteSpace(name))
                throw new FormatException($"{child.Path}: a known sender needs a Name");
            var ranges = Values(child.GetSection("Ranges")).Select(r => ParseRange(child.Path, r)).ToList();
            var domains = Values(child.GetSection("PtrDomains"))
                .Select(d => d.Trim().TrimEnd('.').ToLowerInvariant())
                .Where(d => d.Length > 0)
                .ToList();
            if (ranges.Count == 0 && domains.Count == 0)
                throw new FormatException($"{child.Path}: known sender '{name}' has neither Ranges nor PtrDomains");
            senders.Add(new KnownSender(name.Trim(), ranges, domains));
        }
        return new KnownSenders(senders);
    }

    private static List<string> Values(IConfigurationSection section)
    {
        var values = section.GetChildren().Select(c => c.Value).OfType<string>().ToList();
        if (values.Count > MaxEntriesPerSender)
            throw new FormatException($"{section.Path}: more than {MaxEntriesPerSender} entries");
        return values;
    }

    /// <summary>A CIDR (192.0.2.0/24) or a single address (a /32 or /128).</summary>
    private static IPNetwork ParseRange(string path, string text)
    {
        text = text.Trim();
        if (IPNetwork.TryParse(text, out var network))
            return network;
        if (IPAddress.TryParse(text, out var address))
            return new IPNetwork(address, address.GetAddressBytes().Length * 8);
        throw new FormatException($"{path}: '{text}' is not an IP address or CIDR range (with the host bits zero)");
    }
}
