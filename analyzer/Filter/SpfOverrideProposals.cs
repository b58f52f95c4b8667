using System.Globalization;
using System.Net;
using System.Text;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Filter;

/// <summary>One address a domain sent from, with how many messages.</summary>
internal sealed record SenderAddress(string Address, int Messages);

/// <summary>
/// A proposed local SPF record for a sender domain that publishes none, with the evidence from the verdict log:
/// every message from the domain had SPF none, and all came from <see cref="Addresses"/>.
/// </summary>
internal sealed record SpfOverrideProposal(string Domain, IReadOnlyList<SenderAddress> Addresses, int Messages, DateTimeOffset FirstSeen, DateTimeOffset LastSeen)
{
    /// <summary>The zone-file line (RFC 1035 §5.1) with the RFC 7208 §5.6 ip4/ip6 terms and a hard fail for the rest.</summary>
    public string ZoneLine
    {
        get
        {
            var terms = Addresses.Select(a => (IPAddress.Parse(a.Address).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ip6:" : "ip4:") + a.Address);
            return $"{Domain}. IN TXT \"v=spf1 {string.Join(' ', terms)} -all\"";
        }
    }

    /// <summary>A zone-file comment with the evidence, to keep above the line.</summary>
    public string Evidence =>
        new StringBuilder("; ").Append(Domain).Append(": ").Append(Messages).Append(" messages from ").Append(Addresses.Count)
            .Append(Addresses.Count == 1 ? " address" : " addresses").Append(", first seen ")
            .Append(FirstSeen.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)).Append(" UTC, last seen ")
            .Append(LastSeen.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)).Append(" UTC (")
            .AppendJoin(", ", Addresses.Select(a => $"{a.Address}: {a.Messages}")).Append(')').ToString();
}

/// <summary>
/// How small and how steady a set of addresses must be to propose it; <paramref name="MaxPairs"/> caps the distinct
/// (domain, address) pairs read, so that the log of a busy server stays bounded in memory.
/// </summary>
internal sealed record SpfOverrideCriteria(int MaxAddresses = 4, int MinMessages = 5, int MaxPairs = SpfOverrideCriteria.DefaultMaxPairs)
{
    public const int DefaultMaxPairs = 1_000_000;
}

/// <summary>
/// The proposals, and when <see cref="SpfOverrideCriteria.MaxPairs"/> stopped the reading, the first domain (in
/// name order) not read whole: it and the domains after it were not considered.
/// </summary>
internal sealed record SpfOverrideSearch(IReadOnlyList<SpfOverrideProposal> Proposals, string? NotReadFrom);

/// <summary>
/// Reads the verdict log for sender domains with no SPF record (result none on every message) that send from a
/// few fixed addresses: candidates for an SPF record in a local zone file, for an administrator to review.
/// </summary>
internal static class SpfOverrideProposals
{
    public static async Task<SpfOverrideSearch> FindAsync(IVerdictQueries db, DateTimeOffset? since, SpfOverrideCriteria criteria, CancellationToken ct)
    {
        var proposals = new List<SpfOverrideProposal>();
        string? domain = null;
        string? notReadFrom = null;
        var read = 0;
        var rows = new List<(string Ip, int Messages, long Other, long First, long Last)>();
        void ProposeDomain()
        {
            if (domain is not null && rows.Count > 0 && Propose(domain, rows, criteria) is { } proposal)
                proposals.Add(proposal);
            rows.Clear();
        }
        // One row past the cap tells whether the last domain read is whole: a proposal from part of a domain's
        // addresses would be wrong.
        await foreach (var pair in db.SenderAddressesAsync(since?.ToUnixTimeSeconds() ?? 0, criteria.MaxPairs + 1, ct))
        {
            var name = pair.Domain;
            if (++read > criteria.MaxPairs)
            {
                // The row past the cap either continues the domain being read (not whole: dropped) or starts the next.
                notReadFrom = name;
                if (name == domain)
                    rows.Clear();
                break;
            }
            if (name != domain)
            {
                ProposeDomain();
                domain = name;
            }
            rows.Add((pair.ClientIp, pair.Messages, pair.Other, pair.FirstUtc, pair.LastUtc));
        }
        ProposeDomain();
        return new SpfOverrideSearch(proposals.OrderByDescending(p => p.Messages).ThenBy(p => p.Domain, StringComparer.Ordinal).ToList(), notReadFrom);
    }

    private static SpfOverrideProposal? Propose(string domain, List<(string Ip, int Messages, long Other, long First, long Last)> rows, SpfOverrideCriteria criteria)
    {
        // Any other result means the domain publishes SPF (or did for part of the time): not a candidate.
        // The domain goes into a zone-file line: it must be a host name, whatever the sender wrote.
        if (Uri.CheckHostName(domain) != UriHostNameType.Dns || rows.Any(r => r.Other > 0) || rows.Count > criteria.MaxAddresses)
            return null;
        if (rows.Any(r => !IPAddress.TryParse(r.Ip, out _)))
            return null;
        var messages = rows.Sum(r => r.Messages);
        if (messages < criteria.MinMessages)
            return null;
        var addresses = rows.OrderByDescending(r => r.Messages).ThenBy(r => r.Ip, StringComparer.Ordinal)
            .Select(r => new SenderAddress(r.Ip, r.Messages)).ToList();
        return new SpfOverrideProposal(domain, addresses, messages,
            DateTimeOffset.FromUnixTimeSeconds(rows.Min(r => r.First)), DateTimeOffset.FromUnixTimeSeconds(rows.Max(r => r.Last)));
    }
}
