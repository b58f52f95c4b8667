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
/// Reads the store's records for a period by merging the id-ordered streams of records and of their
/// SPF, DKIM and reason rows, summing in memory as it goes (one pass, no sorting in SQLite).
/// </summary>
internal static class StoredRecordReader
{
    /// <summary>Distinct result or reason values kept per domain; more (only a hostile report has them) count as "(other)".</summary>
    public const int MaxDistinctValues = 1000;

    private readonly record struct GroupKey(long Report, string Ip, bool Dkim, bool Spf, string Disposition, bool Forwarded);

    public static async Task<StoredRecords> ReadAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct)
    {
        var (reports, range) = await RecordQueries.ReportsAsync(db, filter, ct);
        var byId = reports.ToDictionary(r => r.Id);
        var policies = reports.GroupBy(r => r.Domain, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(r => r.BeginUtc).ThenByDescending(r => r.Id).First())
            .ToDictionary(r => r.Domain, r => new PublishedPolicy(r.Domain, r.P, r.Sp, r.Np, r.Testing), StringComparer.Ordinal);
        var groups = new Dictionary<GroupKey, long>();
        var spf = new ValueCounts();
        var dkim = new ValueCounts();
        var reasons = new ValueCounts();
        if (range is not null)
        {
            await using var spfRows = new DetailCursor(RecordQueries.SpfAsync(db, range, ct).GetAsyncEnumerator(ct));
            await using var dkimRows = new DetailCursor(RecordQueries.DkimAsync(db, range, ct).GetAsyncEnumerator(ct));
            await using var reasonRows = new DetailCursor(RecordQueries.ReasonsAsync(db, range, ct).GetAsyncEnumerator(ct));
            List<RecordDetail> spfOf = [], dkimOf = [], reasonsOf = [];
            await foreach (var record in RecordQueries.RecordsAsync(db, range, ct))
            {
                if (!byId.TryGetValue(record.Report, out var report))
                    continue;
                await spfRows.TakeAsync(record.Id, spfOf);
                await dkimRows.TakeAsync(record.Id, dkimOf);
                await reasonRows.TakeAsync(record.Id, reasonsOf);
                spf.Add(report.Domain, spfOf, record.Count);
                dkim.Add(report.Domain, dkimOf, record.Count);
                reasons.Add(report.Domain, reasonsOf, record.Count);
                var passes = record.DkimAligned || record.SpfAligned;
                var key = new GroupKey(record.Report, record.SourceIp, record.DkimAligned, record.SpfAligned, record.Disposition,
                    !passes && Forwarded(record, spfOf, dkimOf, reasonsOf));
                groups[key] = groups.GetValueOrDefault(key) + record.Count;
            }
        }
        var list = groups.Select(g =>
        {
            var report = byId[g.Key.Report];
            return new RecordGroup(report.Domain, FloorDiv(report.BeginUtc, 86400), g.Key.Ip, report.OrgName,
                g.Key.Dkim, g.Key.Spf, g.Key.Disposition, g.Key.Forwarded, g.Value);
        }).ToList();
        return new StoredRecords(list, policies, spf.ToLists(), dkim.ToLists(), reasons.ToLists());
    }

    /// <summary>
    /// A DMARC failure counts as forwarded when the receiver said so (RFC 9990 override types forwarded
    /// and mailing_list), or when SPF failed while a DKIM signature of the From domain (or of a parent or
    /// child of it) verified: relayed mail whose signature survived, though not aligned as the receiver required.
    /// </summary>
    private static bool Forwarded(StoredRecord record, List<RecordDetail> spf, List<RecordDetail> dkim, List<RecordDetail> reasons)
    {
        if (reasons.Exists(r => r.Value is "forwarded" or "mailing_list"))
            return true;
        if (record.HeaderFrom is not { Length: > 0 } from || !spf.Exists(s => s.Value == "fail"))
            return false;
        return dkim.Exists(d => d.Value == "pass" && d.Domain is { Length: > 0 } signer && Related(signer, from));
    }

    private static bool Related(string a, string b) =>
        a.Equals(b, StringComparison.OrdinalIgnoreCase) ||
        a.EndsWith("." + b, StringComparison.OrdinalIgnoreCase) ||
        b.EndsWith("." + a, StringComparison.OrdinalIgnoreCase);

    private static long FloorDiv(long a, long b) => a / b - (a % b < 0 ? 1 : 0);

    /// <summary>Follows one id-ordered detail stream alongside the records.</summary>
    private sealed class DetailCursor(IAsyncEnumerator<RecordDetail> rows) : IAsyncDisposable
    {
        private bool _started;
        private bool _has;

        public async ValueTask TakeAsync(long record, List<RecordDetail> into)
        {
            into.Clear();
            if (!_started)
            {
                _started = true;
                _has = await rows.MoveNextAsync();
            }
            while (_has && rows.Current.Record < record)
                _has = await rows.MoveNextAsync();
            while (_has && rows.Current.Record == record)
            {
                into.Add(rows.Current);
                _has = await rows.MoveNextAsync();
            }
        }

        public ValueTask DisposeAsync() => rows.DisposeAsync();
    }

    private sealed class ValueCounts
    {
        private readonly Dictionary<string, Dictionary<string, long>> _byDomain = new(StringComparer.Ordinal);

        public void Add(string domain, List<RecordDetail> details, long count)
        {
            if (details.Count == 0)
                return;
            if (!_byDomain.TryGetValue(domain, out var counts))
                _byDomain[domain] = counts = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var d in details)
            {
                var value = counts.Count >= MaxDistinctValues && !counts.ContainsKey(d.Value) ? "(other)" : d.Value;
                counts[value] = counts.GetValueOrDefault(value) + count;
            }
        }

        public IReadOnlyDictionary<string, IReadOnlyList<NamedCount>> ToLists() =>
            _byDomain.ToDictionary(
                d => d.Key,
                d => (IReadOnlyList<NamedCount>)d.Value.Select(v => new NamedCount(v.Key, v.Value))
                    .OrderByDescending(c => c.Count).ThenBy(c => c.Name, StringComparer.Ordinal).ToList(),
                StringComparer.Ordinal);
    }
}
