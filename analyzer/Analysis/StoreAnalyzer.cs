using System.Net;
using DmarcAnalyzer.Analysis.Enrichment;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Reads the store for a period and computes, per policy domain, volumes and pass rates by day and ISO
/// week, raw result distributions, sources with their names, senders with their classification, and
/// policy readiness. Sources are enriched with their network, country and catalogued service when
/// <paramref name="enricher"/> has databases or a catalogue.
/// </summary>
internal sealed class StoreAnalyzer(KnownSenders known, ReverseDnsNames names, BaseDomain baseDomain, SourceEnricher? enricher = null)
{
    private readonly SourceEnricher _enricher = enricher ?? SourceEnricher.None;

    /// <summary>Domains beyond this many (the busiest are kept) are left out and counted in <see cref="ReportAnalysis"/>.</summary>
    public const int MaxDomains = 100;

    /// <summary>Sources and senders listed per domain, busiest first; the totals still count them all.</summary>
    public const int MaxListed = 200;

    /// <summary>
    /// An unlisted source that fails DMARC while passing DKIM for a signing domain of its own, on at least this many days
    /// (or every day with data, when there are fewer), looks like a service the organisation uses rather than a spoofer.
    /// </summary>
    public const int SteadyDays = 3;

    public async Task<ReportAnalysis> AnalyzeAsync(IRecordQueries db, ReportPeriod period, string? domain, CancellationToken ct)
    {
        var domainFilter = domain?.Trim().TrimEnd('.').ToLowerInvariant();
        var filter = new RecordFilter(domainFilter, period.FromUtc, period.ToUtcExclusive);

        var stored = await StoredRecordReader.ReadAsync(db, filter, ct);
        var ordering = ReportStages.Start("sources");
        var ipVolume = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var g in stored.Groups)
            ipVolume[g.SourceIp] = ipVolume.GetValueOrDefault(g.SourceIp) + g.Count;

        ordering?.Dispose();
        var naming = ReportStages.Start("PTR names");
        var ptrNames = await names.NamesAsync(db, ipVolume, ct);
        naming?.Dispose();
        var enriching = ReportStages.Start("networks");
        var networks = await _enricher.NetworksAsync(db, ipVolume.Keys, ct);
        enriching?.Dispose();
        var signing = ReportStages.Start("signing domains");
        var signers = await SigningDomainsAsync(db, filter, stored.SigningDomains, ct);
        signing?.Dispose();
        var identifying = ReportStages.Start("identities");
        var identities = ipVolume.Keys.ToDictionary(ip => ip,
            ip => Identify(ip, ptrNames.Names.GetValueOrDefault(ip), networks.GetValueOrDefault(ip) ?? NetworkFacts.None, signers.GetValueOrDefault(ip)),
            StringComparer.Ordinal);
        identifying?.Dispose();

        // Each domain is classified and built on its own (its groups in the order read, so the result is the same), the
        // domains side by side on the cores: identities and the stored records are only read.
        var classifying = ReportStages.Start("classes");
        var groupsOf = new Dictionary<string, List<RecordGroup>>(StringComparer.Ordinal);
        foreach (var g in stored.Groups)
        {
            if (!groupsOf.TryGetValue(g.Domain, out var groups))
                groupsOf[g.Domain] = groups = [];
            groups.Add(g);
        }
        var builders = groupsOf.Select(d => new DomainBuilder(d.Key)).ToList();
        Parallel.ForEach(builders, new ParallelOptions { CancellationToken = ct }, builder =>
        {
            foreach (var g in groupsOf[builder.Domain])
            {
                var identity = identities[g.SourceIp];
                var cls = g.DkimAligned || g.SpfAligned ? SenderClass.Aligned
                    : identity.Known ? SenderClass.AuthorisedFailing
                    : g.Forwarded || identity.Service?.Type == ServiceType.Forwarder ? SenderClass.Forwarded
                    : identity.Service is { Type: not ServiceType.Hosting } ? SenderClass.KnownService
                    : SenderClass.UnknownFailing;
                builder.Add(g, cls);
            }
        });
        classifying?.Dispose();

        using var building = ReportStages.Start("domains");
        var kept = builders.OrderByDescending(b => b.Total.Volume).ThenBy(b => b.Domain, StringComparer.Ordinal).Take(MaxDomains)
            .OrderBy(b => b.Domain, StringComparer.Ordinal).ToList();
        var domains = new DomainAnalysis[kept.Count];
        Parallel.For(0, kept.Count, new ParallelOptions { CancellationToken = ct }, i =>
        {
            var b = kept[i];
            domains[i] = b.Build(identities, stored.Policies.GetValueOrDefault(b.Domain),
                stored.SpfResults.GetValueOrDefault(b.Domain, []), stored.DkimResults.GetValueOrDefault(b.Domain, []),
                stored.Reasons.GetValueOrDefault(b.Domain, []));
        });
        return new ReportAnalysis(period, domainFilter, domains, builders.Count - kept.Count)
        {
            KnownSendersListed = known.Senders.Count,
            ReverseDnsTrouble = ptrNames.Trouble,
        };
    }

    /// <summary>
    /// Who a source is. Its sender is the known sender it matches (the configuration wins over the catalogue), else
    /// its catalogued service unless that is only a hosting network, else its PTR base domain, else the address.
    /// </summary>
    private sealed record Identity(string? PtrName, string? BaseDomain, string Sender, bool Known, SourceFacts Facts)
    {
        public Service? Service => Facts.Service;

        /// <summary>The sender's service type when the sender is a catalogued service.</summary>
        public ServiceType? SenderType => !Known && Service is { Type: not ServiceType.Hosting } s ? s.Type : null;
    }

    private Identity Identify(string ip, string? ptrName, NetworkFacts network, IReadOnlyList<string>? signingDomains)
    {
        IPAddress.TryParse(ip, out var address);
        var baseName = ptrName is null ? null : baseDomain.Of(ptrName);
        var match = known.Match(address, ptrName);
        var facts = _enricher.Facts(network, ptrName, signingDomains);
        var service = facts.Service is { Type: not ServiceType.Hosting } s ? s.Name : null;
        return new Identity(ptrName, baseName, match?.Name ?? service ?? baseName ?? ip, match is not null, facts);
    }

    /// <summary>
    /// Each source's verified DKIM signing domains of its own, most messages first: what names its service when the PTR
    /// name does not (<see cref="ServiceCatalogue.Match"/>). The records' first signatures were summed as they were read
    /// (<paramref name="first"/>); further ones are read when the catalogue has DKIM lines, and without such lines none is used.
    /// </summary>
    private async Task<Dictionary<string, IReadOnlyList<string>>> SigningDomainsAsync(
        IRecordQueries db, RecordFilter filter, IReadOnlyList<SigningDomainCount> first, CancellationToken ct)
    {
        if (!_enricher.Catalogue.HasDkimLines)
            return new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var further = await db.FurtherSigningDomainsAsync(filter, ct);
        return first.Concat(further)
            .GroupBy(c => (c.SourceIp, c.Domain))
            .Select(g => new SigningDomainCount(g.Key.SourceIp, g.Key.Domain, g.Aggregate(0L, (sum, c) => Math.Min(sum + c.Messages, RecordQueries.MaxSignedMessages))))
            .GroupBy(c => c.SourceIp, StringComparer.Ordinal).ToDictionary(
                g => g.Key,
                g => (IReadOnlyList<string>)g.OrderByDescending(c => c.Messages).ThenBy(c => c.Domain, StringComparer.Ordinal).Select(c => c.Domain).ToList(),
                StringComparer.Ordinal);
    }

    private sealed class DomainBuilder(string domain)
    {
        public string Domain { get; } = domain;
        public Tally Total { get; } = new();
        private readonly Dictionary<long, Tally> _days = [];
        private readonly Dictionary<string, SourceSlot> _sources = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _reporters = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _dispositions = new(StringComparer.Ordinal);
        private readonly HashSet<string> _ownDkim = new(StringComparer.Ordinal);

        public void Add(RecordGroup g, SenderClass cls)
        {
            if (!_sources.TryGetValue(g.SourceIp, out var source))
                _sources[g.SourceIp] = source = new SourceSlot();
            source.Saw(g.Day);
            if (cls == SenderClass.UnknownFailing && g.OwnDkimPass)
                _ownDkim.Add(g.SourceIp);
            Total.Add(cls, g.DkimAligned, g.SpfAligned, g.Count, g.ArcAccepted);
            Slot(_days, g.Day).Add(cls, g.DkimAligned, g.SpfAligned, g.Count, g.ArcAccepted);
            source.Tally.Add(cls, g.DkimAligned, g.SpfAligned, g.Count, g.ArcAccepted);
            _reporters[g.Reporter] = _reporters.GetValueOrDefault(g.Reporter) + g.Count;
            _dispositions[g.Disposition] = _dispositions.GetValueOrDefault(g.Disposition) + g.Count;
        }

        public DomainAnalysis Build(
            IReadOnlyDictionary<string, Identity> identities, PublishedPolicy? policy,
            IReadOnlyList<NamedCount> spf, IReadOnlyList<NamedCount> dkim, IReadOnlyList<NamedCount> reasons)
        {
            var days = _days.OrderBy(d => d.Key).Select(d => new DayTally(ReportPeriod.DayFromUnixDay(d.Key), d.Value)).ToList();
            var weeks = days.GroupBy(d => IsoWeek.Of(d.Day)).OrderBy(w => w.Key)
                .Select(w => new WeekTally(w.Key, Sum(w.Select(d => d.Tally)))).ToList();
            // Only the busiest are listed: sorted partly (OrderBy then Take), not the hundred thousand one-off spoofers.
            var steady = Math.Min(SteadyDays, days.Count);
            var sources = _sources.Select(s => (Ip: s.Key, s.Value.Tally, Who: identities[s.Key],
                LikelyService: _ownDkim.Contains(s.Key) && s.Value.Days >= steady)).ToList();
            var senders = sources
                .GroupBy(s => (s.Who.Sender, s.Who.Known, s.Who.SenderType))
                .Select(g => new SenderSummary(g.Key.Sender, g.Key.Known, g.Count(), Sum(g.Select(s => s.Tally)), g.Any(s => s.LikelyService))
                {
                    ServiceType = g.Key.SenderType,
                })
                .ToList();
            return new DomainAnalysis(
                Domain, policy, Total, days, weeks, spf, dkim, Counts(_dispositions), reasons, Counts(_reporters),
                sources.OrderByDescending(s => s.Tally.Volume).ThenBy(s => s.Ip, StringComparer.Ordinal).Take(MaxListed)
                    .Select(s => new SourceSummary(s.Ip, s.Who.PtrName, s.Who.BaseDomain, s.Who.Sender, s.Tally, s.LikelyService)
                    {
                        Service = s.Who.Service,
                        Network = s.Who.Facts.Network,
                    }).ToList(),
                senders.OrderByDescending(s => s.Tally.Volume).ThenBy(s => s.Name, StringComparer.Ordinal).Take(MaxListed).ToList(),
                PolicyReadiness.Assess(Domain, Total, senders, policy));
        }

        /// <summary>One source's tally, and on how many distinct days it sent, counted up to <see cref="SteadyDays"/> (all that is asked).</summary>
        private sealed class SourceSlot
        {
            private SeenDays _seen;

            public Tally Tally { get; } = new();

            public int Days { get; private set; }

            public void Saw(long day)
            {
                if (Days == SteadyDays || ((ReadOnlySpan<long>)_seen)[..Days].Contains(day))
                    return;
                _seen[Days++] = day;
            }

            [System.Runtime.CompilerServices.InlineArray(SteadyDays)]
            private struct SeenDays
            {
                private long _day;
            }
        }

        private static Tally Slot<TKey>(Dictionary<TKey, Tally> slots, TKey key) where TKey : notnull
        {
            if (!slots.TryGetValue(key, out var tally))
                slots[key] = tally = new Tally();
            return tally;
        }

        private static Tally Sum(IEnumerable<Tally> tallies)
        {
            var sum = new Tally();
            foreach (var t in tallies)
                sum.Add(t);
            return sum;
        }

        private static List<NamedCount> Counts(Dictionary<string, long> counts) =>
            counts.Select(c => new NamedCount(c.Key, c.Value)).OrderByDescending(c => c.Count).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
    }
}
