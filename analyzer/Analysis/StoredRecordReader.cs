using DmarcAnalyzer.Storage;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Records summed over everything the analysis tells apart. <see cref="Day"/> is the unix day number of
/// the report's begin time: a report's records are all attributed to the UTC day its period begins,
/// because aggregate reports say nothing finer (RFC 9990: one report covers one period, usually a day).
/// </summary>
internal sealed record RecordGroup(
    string Domain, long Day, string SourceIp, string Reporter, bool DkimAligned, bool SpfAligned, string Disposition, bool Forwarded, long Count);

/// <summary>The period's records grouped, the raw result distributions per domain, and each domain's newest published policy.</summary>
internal sealed record StoredRecords(
    IReadOnlyList<RecordGroup> Groups,
    IReadOnlyDictionary<string, PublishedPolicy> Policies,
    IReadOnlyDictionary<string, IReadOnlyList<NamedCount>> SpfResults,
    IReadOnlyDictionary<string, IReadOnlyList<NamedCount>> DkimResults,
    IReadOnlyDictionary<string, IReadOnlyList<NamedCount>> Reasons);

/// <summary>
/// Reads the store for a period: the records summed in memory as they stream, and meanwhile, on a
/// second connection of the same database (WAL lets readers run side by side), the result distributions.
/// </summary>
internal static class StoredRecordReader
{
    public const string Unrecognised = "(unrecognised)";

    private readonly record struct GroupKey(int Slice, string Ip, int Flags);

    private readonly record struct Slice(string Domain, long Day, string Reporter);

    public static async Task<StoredRecords> ReadAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct)
    {
        var reports = await RecordQueries.ReportsAsync(db, filter, ct);
        var distributions = Task.Run(() => DistributionsAsync(db.ConnectionString, filter, reports, ct), ct);

        var slices = new List<Slice>();
        var sliceOf = new Dictionary<long, int>();
        var sliceIndex = new Dictionary<Slice, int>();
        foreach (var report in reports)
        {
            var slice = new Slice(report.Domain, FloorDiv(report.BeginUtc, 86400), report.OrgName);
            if (!sliceIndex.TryGetValue(slice, out var index))
            {
                sliceIndex[slice] = index = slices.Count;
                slices.Add(slice);
            }
            sliceOf[report.Id] = index;
        }

        var groups = new Dictionary<GroupKey, long>();
        try
        {
            await foreach (var record in RecordQueries.RecordsAsync(db, filter, ct))
            {
                // A report committed after the reports were read (the poller runs meanwhile) waits for the next report.
                if (!sliceOf.TryGetValue(record.Report, out var sliceIndexOfRecord))
                    continue;
                var key = new GroupKey(sliceIndexOfRecord, record.SourceIp, record.Flags);
                groups[key] = groups.GetValueOrDefault(key) + record.Count;
            }
        }
        catch
        {
            // The distributions query runs on its own connection: it is not left running unobserved.
            await Task.WhenAny(distributions);
            throw;
        }
        var list = new List<RecordGroup>(groups.Count);
        foreach (var (key, count) in groups)
        {
            var slice = slices[key.Slice];
            list.Add(new RecordGroup(slice.Domain, slice.Day, key.Ip, slice.Reporter,
                (key.Flags & RecordFlags.DkimAligned) != 0, (key.Flags & RecordFlags.SpfAligned) != 0,
                RecordFlags.Dispositions[(key.Flags & RecordFlags.DispositionMask) >> RecordFlags.DispositionShift],
                (key.Flags & RecordFlags.Forwarded) != 0, count));
        }

        var policies = reports.GroupBy(r => r.Domain, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(r => r.BeginUtc).ThenByDescending(r => r.Id).First())
            .ToDictionary(r => r.Domain, r => new PublishedPolicy(r.Domain, r.P, r.Sp, r.Np, r.Testing), StringComparer.Ordinal);
        var (spf, dkim, reasons) = await distributions;
        return new StoredRecords(list, policies, spf, dkim, reasons);
    }

    private static async Task<(IReadOnlyDictionary<string, IReadOnlyList<NamedCount>>, IReadOnlyDictionary<string, IReadOnlyList<NamedCount>>,
        IReadOnlyDictionary<string, IReadOnlyList<NamedCount>>)> DistributionsAsync(
        string connectionString, RecordFilter filter, IReadOnlyList<StoredReport> reports, CancellationToken ct)
    {
        var domainOf = reports.ToDictionary(r => r.Id, r => r.Domain);
        await using var side = new SqliteConnection(connectionString);
        await side.OpenAsync(ct);
        var spf = ByDomain(await RecordQueries.SpfResultCountsAsync(side, filter, ct), RecordQueries.SpfResults, domainOf);
        var dkim = ByDomain(await RecordQueries.DkimResultCountsAsync(side, filter, ct), RecordQueries.DkimResults, domainOf);
        var reasons = ByDomain(await RecordQueries.ReasonCountsAsync(side, filter, ct), RecordQueries.ReasonTypes, domainOf);
        return (spf, dkim, reasons);
    }

    private static IReadOnlyDictionary<string, IReadOnlyList<NamedCount>> ByDomain(
        IReadOnlyList<ValueCountsOfReport> rows, IReadOnlyList<string> values, IReadOnlyDictionary<long, string> domainOf)
    {
        var sums = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (!domainOf.TryGetValue(row.Report, out var domain))
                continue;
            if (!sums.TryGetValue(domain, out var sum))
                sums[domain] = sum = new long[values.Count + 1];
            for (var i = 0; i < sum.Length; i++)
                sum[i] += row.Counts[i];
        }
        return sums.ToDictionary(
            s => s.Key,
            s => (IReadOnlyList<NamedCount>)s.Value
                .Select((count, i) => new NamedCount(i < values.Count ? values[i] : Unrecognised, count))
                .Where(c => c.Count > 0)
                .OrderByDescending(c => c.Count).ThenBy(c => c.Name, StringComparer.Ordinal)
                .ToList(),
            StringComparer.Ordinal);
    }

    private static long FloorDiv(long a, long b) => a / b - (a % b < 0 ? 1 : 0);
}
