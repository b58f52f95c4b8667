using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Records summed over everything the analysis tells apart. <see cref="Day"/> is a unix day number: a report
/// whose period lies in one UTC day counts on that day; one whose period spans several is spread over them
/// (<see cref="DaySpread"/>), because aggregate reports say nothing finer (RFC 9990: a record has no time of its own).
/// <see cref="OwnDkimPass"/>: failing mail that passed DKIM for a domain of the sender's own.
/// </summary>
internal sealed record RecordGroup(
    string Domain, long Day, string SourceIp, string Reporter, bool DkimAligned, bool SpfAligned, string Disposition, bool Forwarded, long Count,
    bool ArcAccepted = false, bool OwnDkimPass = false);

/// <summary>
/// The period's records grouped, the raw result distributions per domain, each domain's newest published policy, and
/// the messages per source and signing domain of its own of the records' first DKIM results (<see cref="StoredRecordVisitor"/>).
/// </summary>
internal sealed record StoredRecords(
    IReadOnlyList<RecordGroup> Groups,
    IReadOnlyList<SigningDomainCount> SigningDomains,
    IReadOnlyDictionary<string, PublishedPolicy> Policies,
    IReadOnlyDictionary<string, IReadOnlyList<NamedCount>> SpfResults,
    IReadOnlyDictionary<string, IReadOnlyList<NamedCount>> DkimResults,
    IReadOnlyDictionary<string, IReadOnlyList<NamedCount>> Reasons);

/// <summary>
/// Reads the store for a period: the records summed in memory as they stream, and the result distributions
/// ingest summed per report.
/// </summary>
internal static class StoredRecordReader
{
    /// <summary>Reports summed together: of one domain and reporter, on one day; or, when spread, over the same date range.</summary>
    private readonly record struct Slice(string Domain, long Day, string Reporter, (long Begin, long End)? Spread);

    public static async Task<StoredRecords> ReadAsync(IRecordQueries db, RecordFilter filter, CancellationToken ct)
    {
        var reading = ReportStages.Start("reports");
        var reports = await db.ReportsAsync(filter, ct);
        reading?.Dispose();
        var slices = new List<Slice>();
        var sliceOf = new Dictionary<long, int>();
        var sliceIndex = new Dictionary<Slice, int>();
        foreach (var report in reports)
        {
            var spread = report.EndUtc is { } end && DaySpread.Of(report.BeginUtc, end) is not null ? (report.BeginUtc, end) : ((long, long)?)null;
            var slice = new Slice(report.Domain, FloorDiv(report.BeginUtc, 86400), report.OrgName, spread);
            if (!sliceIndex.TryGetValue(slice, out var index))
            {
                sliceIndex[slice] = index = slices.Count;
                slices.Add(slice);
            }
            sliceOf[report.Id] = index;
        }

        var summing = ReportStages.Start("records read and summed");
        var sums = await SumRecordsAsync(db, filter, reports, sliceOf, ct);
        summing?.Dispose();
        var grouping = ReportStages.Start("groups");
        var list = new List<RecordGroup>(sums.Sums.Count);
        var spreads = new Dictionary<int, DaySpread>();
        foreach (var (key, count) in sums.Sums)
        {
            var slice = slices[key.Slice];
            var group = new RecordGroup(slice.Domain, slice.Day, sums.Ip(key.Ip), slice.Reporter,
                (key.Flags & RecordFlags.DkimAligned) != 0, (key.Flags & RecordFlags.SpfAligned) != 0,
                RecordFlags.Dispositions[(key.Flags & RecordFlags.DispositionMask) >> RecordFlags.DispositionShift],
                (key.Flags & RecordFlags.Forwarded) != 0, count, (key.Flags & RecordFlags.ArcAccepted) != 0,
                (key.Flags & RecordFlags.OwnDkimPass) != 0);
            if (slice.Spread is not { } range)
            {
                list.Add(group);
                continue;
            }
            if (!spreads.TryGetValue(key.Slice, out var spread))
                spreads[key.Slice] = spread = DaySpread.Of(range.Begin, range.End)!;
            foreach (var (day, part) in spread.Split(count))
                list.Add(group with { Day = day, Count = part });
        }

        var policies = reports.GroupBy(r => r.Domain, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(r => r.BeginUtc).ThenByDescending(r => r.Id).First())
            .ToDictionary(r => r.Domain, r => new PublishedPolicy(r.Domain, r.P, r.Sp, r.Np, r.Testing), StringComparer.Ordinal);
        var domainOf = reports.ToDictionary(r => r.Id, r => r.Domain);
        grouping?.Dispose();
        using var results = ReportStages.Start("result counts");
        var counts = await db.ResultCountsAsync(filter, ct);
        var signers = sums.Signers.Select(s => new SigningDomainCount(sums.Ip(s.Key.Ip), sums.Domain(s.Key.Domain), s.Value)).ToList();
        return new StoredRecords(list, signers, policies,
            ByDomain(counts, "spf", RecordQueries.SpfResults, domainOf),
            ByDomain(counts, "dkim", RecordQueries.DkimResults, domainOf),
            ByDomain(counts, "reason", RecordQueries.ReasonTypes, domainOf));
    }

    /// <summary>
    /// Sums the records of the period in two halves of its reports (by id), which the store may read side by side:
    /// two cores, half the time.
    /// </summary>
    private static async Task<RecordSums> SumRecordsAsync(
        IRecordQueries db, RecordFilter filter, IReadOnlyList<StoredReport> reports, Dictionary<long, int> sliceOf, CancellationToken ct)
    {
        var middle = reports.Count == 0 ? 0 : reports.Select(r => r.Id).Order().ElementAt(reports.Count / 2);
        var first = new RecordSums();
        var second = new RecordSums();
        await db.ReadRecordsAsync(filter, middle, Sum(sliceOf, first), Sum(sliceOf, second), ct);
        second.Add(first);
        return second;
    }

    private static StoredRecordVisitor Sum(Dictionary<long, int> sliceOf, RecordSums sums)
    {
        // The records of a report come one after another: its slice is looked up once, not once per record.
        (long Report, int Slice) last = (0, -1);
        return (report, sourceIp, count, flags, signingDomain) =>
        {
            if (report != last.Report || last.Slice < 0)
                // A report committed after the reports were read (the poller runs meanwhile) waits for the next report.
                last = (report, sliceOf.TryGetValue(report, out var slice) ? slice : -1);
            if (last.Slice >= 0)
                sums.Add(last.Slice, sourceIp, flags, count, signingDomain);
        };
    }

    /// <summary>Messages per value of one kind, per domain; values outside <paramref name="values"/> add up as <see cref="ResultCounts.OtherValues"/>.</summary>
    private static IReadOnlyDictionary<string, IReadOnlyList<NamedCount>> ByDomain(
        IReadOnlyList<ResultCountOfReport> rows, string kind, IReadOnlyList<string> values, IReadOnlyDictionary<long, string> domainOf)
    {
        var sums = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (row.Kind != kind || !domainOf.TryGetValue(row.Report, out var domain))
                continue;
            if (!sums.TryGetValue(domain, out var sum))
                sums[domain] = sum = new Dictionary<string, long>(StringComparer.Ordinal);
            var name = values.Contains(row.Value) ? row.Value : ResultCounts.OtherValues;
            sum[name] = sum.GetValueOrDefault(name) + row.Messages;
        }
        return sums.ToDictionary(
            s => s.Key,
            s => (IReadOnlyList<NamedCount>)s.Value
                .Select(c => new NamedCount(c.Key, c.Value))
                .Where(c => c.Count > 0)
                .OrderByDescending(c => c.Count).ThenBy(c => c.Name, StringComparer.Ordinal)
                .ToList(),
            StringComparer.Ordinal);
    }

    private static long FloorDiv(long a, long b) => a / b - (a % b < 0 ? 1 : 0);
}
