using System.Text;
using DmarcAnalyzer.Storage.Fast;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// Which reports a query reads: one policy domain or all, and a range of report begin times
/// (unix seconds UTC, <see cref="ToUtcExclusive"/> not included).
/// </summary>
internal sealed record RecordFilter(string? Domain, long FromUtc, long ToUtcExclusive);

/// <summary>A report's metadata and the policy it says was published.</summary>
internal sealed record StoredReport(long Id, string Domain, long BeginUtc, string OrgName, string? P, string? Sp, string? Np, string? Testing)
{
    /// <summary>The end of the report's period; null when not read (the analysis then counts the report on its begin day).</summary>
    public long? EndUtc { get; init; }
}

/// <summary>
/// One record, reduced to what the analysis tells apart: its report, its source address as the UTF-8 text
/// stored (valid during the call only), its message count (clamped) and <paramref name="flags"/>, which packs
/// the evaluated results, the forwarded test and the disposition (see <see cref="RecordFlags"/>).
/// <paramref name="signingDomain"/>: the domain of the record's first DKIM result when it passed and is unrelated to
/// the From domain (a signing domain of the sender's own), else empty; further signatures come from
/// <see cref="IRecordQueries.FurtherSigningDomainsAsync"/>.
/// </summary>
internal delegate void StoredRecordVisitor(long report, ReadOnlySpan<byte> sourceIp, long count, int flags, ReadOnlySpan<byte> signingDomain);

internal static class RecordFlags
{
    public const int DkimAligned = 1;
    public const int SpfAligned = 2;
    public const int Forwarded = 4;
    public const int DispositionShift = 3;
    public const int DispositionMask = 3 << DispositionShift;

    /// <summary>A forwarded failure the receiver accepted on the strength of an ARC chain (local_policy "arc=pass").</summary>
    public const int ArcAccepted = 32;

    /// <summary>A DMARC failure that carries a passing DKIM signature of a domain unrelated to the From domain: a sender with a signing domain of its own.</summary>
    public const int OwnDkimPass = 64;

    /// <summary>
    /// Stored only (records.flags, not handed to the analysis): the record has a further DKIM signature
    /// (record_dkim) of a domain of the sender's own, so <see cref="IRecordQueries.FurtherSigningDomainsAsync"/> reads its
    /// record_dkim rows and no other record's (the partial index records_further_signers).
    /// </summary>
    public const int FurtherOwnSigners = 128;

    /// <summary>The flags the analysis is handed.</summary>
    public const int Analysed = FurtherOwnSigners - 1;

    /// <summary>The dispositions of RFC 9990 by their code; anything else reads as "other".</summary>
    public static readonly IReadOnlyList<string> Dispositions = ["none", "quarantine", "reject", "other"];
}

/// <summary>Messages from one source address that carried a verified DKIM signature of <paramref name="Domain"/>.</summary>
internal sealed record SigningDomainCount(string SourceIp, string Domain, long Messages);

/// <summary>Messages of one report per raw result (kind "spf" or "dkim") or override reason (kind "reason").</summary>
internal sealed record ResultCountOfReport(long Report, string Kind, string Value, long Messages);

/// <summary>
/// Read queries for the analysis, shaped so that SQLite never sorts: records stream in index order
/// and are summed by the caller, and the result distributions come from the counts ingest summed per
/// report (report_results), not from the records (bench/README.md has the numbers). Values are stored
/// lower-cased by ingest.
/// </summary>
internal static class RecordQueries
{
    /// <summary>auth_results/spf result values (RFC 9990 SPFResultType), then anything else.</summary>
    public static readonly IReadOnlyList<string> SpfResults = ["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"];

    /// <summary>auth_results/dkim result values (RFC 9990 DKIMResultType), then anything else.</summary>
    public static readonly IReadOnlyList<string> DkimResults = ["pass", "fail", "policy", "neutral", "none", "temperror", "permerror"];

    /// <summary>policy_evaluated/reason types (RFC 7489 Appendix C, RFC 9990), then anything else.</summary>
    public static readonly IReadOnlyList<string> ReasonTypes =
        ["forwarded", "sampled_out", "trusted_forwarder", "mailing_list", "local_policy", "policy_test_mode", "other"];

    /// <summary>
    /// A record's message count is clamped to 0..2^40 so that sums over millions of records cannot
    /// overflow, whatever a report claims.
    /// </summary>
    public const long MaxCount = 1L << 40;

    /// <summary>Messages of one source and signing domain saturate here.</summary>
    public const long MaxSignedMessages = MaxCount * 1_000;

    private const string PeriodWhere =
        "rp.begin_utc >= $from AND rp.begin_utc < $to AND ($domain IS NULL OR rp.domain = $domain)";

    public static async Task<IReadOnlyList<StoredReport>> ReportsAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct)
    {
        await using var command = Command(db, $"SELECT id, domain, begin_utc, org_name, p, sp, np, testing, end_utc FROM reports rp WHERE {PeriodWhere}", filter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var reports = new List<StoredReport>();
        while (await reader.ReadAsync(ct))
        {
            reports.Add(new StoredReport(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3),
                Text(reader, 4), Text(reader, 5), Text(reader, 6), Text(reader, 7)) { EndUtc = reader.GetInt64(8) });
        }
        return reports;
    }

    // A DMARC failure counts as forwarded when the receiver said so (override types forwarded, trusted_forwarder
    // and mailing_list, or local_policy with an ARC comment such as "arc=pass": an ARC-aware receiver's word that
    // a forwarder vouched for it), or when SPF failed while a DKIM signature of the From domain (or of a parent or
    // child of it) verified: relayed mail whose signature survived, though not aligned as the receiver required.
    // ArcAccepted marks the failures the receiver let through on an ARC chain: mail that p=reject would not lose
    // there. A record never changes once stored, so its flags are computed once, by ingest (IngestedFlags) or, for a
    // row stored without them, by FillFlagsSql (migration 14, and rows a dmarc older than schema 14 stored since);
    // the records are then read as they are.
    private const string RecordsSql = """
        SELECT r.report, r.source_ip, r.count, r.flags, r.own_signer
          FROM reports rp CROSS JOIN records r ON r.report = rp.id
         WHERE rp.begin_utc >= ?1 AND rp.begin_utc < ?2 AND (?3 IS NULL OR rp.domain = ?3) AND rp.id >= ?4 AND rp.id < ?5
        """;

    /// <summary>A DKIM pass for the record's From domain, a parent or a child of it (exact suffixes, as IngestedFlags).</summary>
    private const string FromDomainPassTemplate = """
        ({0} IS 'pass' AND r.header_from IS NOT NULL AND {1} IS NOT NULL
             AND ({1} = r.header_from OR substr({1}, -length(r.header_from) - 1) = '.' || r.header_from
                  OR substr(r.header_from, -length({1}) - 1) = '.' || {1}))
        """;

    private static string FromDomainPass(string result, string domain) => string.Format(FromDomainPassTemplate, result, domain);

    private static string OwnSignature(string result, string domain) => $"({result} IS 'pass' AND NOT {FromDomainPass(result, domain)})";

    /// <summary>
    /// Fills records.flags and records.own_signer of the rows stored without them, by the rules of
    /// <see cref="IngestedFlags"/>: migration 14 runs it over every stored row, the report over what a dmarc older than
    /// schema 14 stored since (the partial index records_flags_missing finds them). A change to the rules is a new
    /// migration that empties the flags and runs this again.
    /// </summary>
    public static readonly string FillFlagsSql = $"""
        UPDATE records AS r SET
            own_signer = CASE WHEN r.dkim_domain IS NOT NULL AND {OwnSignature("r.dkim_result", "r.dkim_domain")} THEN r.dkim_domain END,
            flags = (r.dkim_eval IS 'pass') | ((r.spf_eval IS 'pass') << 1)
                  | (CASE r.disposition WHEN 'none' THEN 0 WHEN 'quarantine' THEN 8 WHEN 'reject' THEN 16 ELSE 24 END)
                  | (CASE WHEN EXISTS (SELECT 1 FROM record_dkim d WHERE d.record = r.id AND {OwnSignature("d.result", "d.domain")}) THEN 128 ELSE 0 END)
                  | (CASE WHEN r.dkim_eval IS 'pass' OR r.spf_eval IS 'pass' THEN 0
                          ELSE coalesce((SELECT max(CASE WHEN x.type = 'local_policy' AND x.comment LIKE '%arc=pass%' THEN 36
                                                         WHEN x.type IN ('forwarded', 'trusted_forwarder', 'mailing_list') THEN 4 ELSE 0 END)
                                           FROM record_reasons x WHERE x.record = r.id), 0)
                             | (CASE WHEN (r.spf_result IS 'fail' OR EXISTS (SELECT 1 FROM record_spf s WHERE s.record = r.id AND s.result = 'fail'))
                                          AND ({FromDomainPass("r.dkim_result", "r.dkim_domain")}
                                               OR EXISTS (SELECT 1 FROM record_dkim d WHERE d.record = r.id AND {FromDomainPass("d.result", "d.domain")})) THEN 4
                                     ELSE 0 END)
                             | (CASE WHEN (r.dkim_domain IS NOT NULL AND {OwnSignature("r.dkim_result", "r.dkim_domain")})
                                          OR EXISTS (SELECT 1 FROM record_dkim d WHERE d.record = r.id AND {OwnSignature("d.result", "d.domain")}) THEN 64
                                     ELSE 0 END)
                     END)
         WHERE r.flags IS NULL
        """;

    /// <summary>Fills the flags of rows stored without them (<see cref="FillFlagsSql"/>); no write when there are none.</summary>
    public static void FillMissingFlags(SqliteConnection db)
    {
        using (var missing = new RawStatement(db, "SELECT EXISTS (SELECT 1 FROM records INDEXED BY records_flags_missing WHERE flags IS NULL)"))
        {
            if (missing.Scalar() == 0)
                return;
        }
        using var fill = new RawStatement(db, FillFlagsSql);
        fill.Execute();
    }

    /// <summary>
    /// Streams the records of the period's reports whose id is in <paramref name="reports"/> to
    /// <paramref name="visit"/> (dmarc report's hot path, bench/README.md): through SQLite's own API, the source address
    /// handed over as the bytes SQLite holds.
    /// </summary>
    public static void ReadRecords(
        SqliteConnection db, RecordFilter filter, (long From, long ToExclusive) reports, StoredRecordVisitor visit, CancellationToken ct)
    {
        using var query = new RawStatement(db, RecordsSql);
        query.Bind(1, filter.FromUtc);
        query.Bind(2, filter.ToUtcExclusive);
        query.Bind(3, filter.Domain);
        query.Bind(4, reports.From);
        query.Bind(5, reports.ToExclusive);
        for (var row = 1L; query.Step(); row++)
        {
            if (row % 65536 == 0)
                ct.ThrowIfCancellationRequested();
            visit(query.Int64(0), query.Utf8(1), Math.Clamp(query.Int64(2), 0, MaxCount), (int)query.Int64(3) & RecordFlags.Analysed, query.Utf8(4));
        }
    }

    // Passing signatures of a domain unrelated to the From domain: the signer's own domain (an ESP's, a mailbox
    // provider's), which can name the service; a signature of the From domain or a relative of it names the customer.
    // The first signature is in the record's row and comes with the records (own_signer); further ones are in
    // record_dkim, of the records flagged FurtherOwnSigners only, found by the partial index that holds just those.
    // Summed here, so SQLite never sorts.
    private static readonly string FurtherSigningDomainsSql = $"""
        SELECT r.source_ip, d.domain, r.count
          FROM reports rp CROSS JOIN records r INDEXED BY records_further_signers ON r.report = rp.id AND r.flags & 128 <> 0
               CROSS JOIN record_dkim d ON d.record = r.id
         WHERE {RawPeriodWhere} AND {OwnSignature("d.result", "d.domain")}
        """;

    private const string RawPeriodWhere = "rp.begin_utc >= ?1 AND rp.begin_utc < ?2 AND (?3 IS NULL OR rp.domain = ?3)";

    /// <summary>
    /// Messages per source address and verified DKIM signing domain of its own (not the From domain's), over the
    /// filter's reports, of the signatures after each record's first (record_dkim): what the service catalogue matches
    /// a source by when its PTR name does not say.
    /// </summary>
    public static IReadOnlyList<SigningDomainCount> FurtherSigningDomains(SqliteConnection db, RecordFilter filter, CancellationToken ct)
    {
        using var query = new RawStatement(db, FurtherSigningDomainsSql);
        query.Bind(1, filter.FromUtc);
        query.Bind(2, filter.ToUtcExclusive);
        query.Bind(3, filter.Domain);
        var sums = new Dictionary<(string Ip, string Domain), long>();
        for (var row = 1L; query.Step(); row++)
        {
            if (row % 65536 == 0)
                ct.ThrowIfCancellationRequested();
            var key = (Encoding.UTF8.GetString(query.Utf8(0)), Encoding.UTF8.GetString(query.Utf8(1)));
            sums[key] = Math.Min(sums.GetValueOrDefault(key) + Math.Clamp(query.Int64(2), 0, MaxCount), MaxSignedMessages);
        }
        return sums.Select(s => new SigningDomainCount(s.Key.Ip, s.Key.Domain, s.Value)).ToList();
    }

    private const string Missing = $"""
        SELECT rp.id FROM reports rp
         WHERE {PeriodWhere} AND NOT EXISTS (SELECT 1 FROM report_results x WHERE x.report = rp.id)
           AND EXISTS (SELECT 1 FROM records r WHERE r.report = rp.id)
        """;

    /// <summary>Each record's results and reasons with its (clamped) count, for the reports in <c>missing</c>.</summary>
    private const string ResultsOfMissing = """
        SELECT r.report, 'spf', r.spf_result, min(r.count, 1099511627776) FROM missing m JOIN records r ON r.report = m.id WHERE r.spf_result IS NOT NULL
        UNION ALL SELECT r.report, 'spf', x.result, min(r.count, 1099511627776) FROM missing m JOIN records r ON r.report = m.id JOIN record_spf x ON x.record = r.id
        UNION ALL SELECT r.report, 'dkim', r.dkim_result, min(r.count, 1099511627776) FROM missing m JOIN records r ON r.report = m.id WHERE r.dkim_result IS NOT NULL
        UNION ALL SELECT r.report, 'dkim', x.result, min(r.count, 1099511627776) FROM missing m JOIN records r ON r.report = m.id JOIN record_dkim x ON x.record = r.id
        UNION ALL SELECT r.report, 'reason', x.type, min(r.count, 1099511627776) FROM missing m JOIN records r ON r.report = m.id JOIN record_reasons x ON x.record = r.id
        """;

    /// <summary>
    /// The raw result and reason counts ingest summed per report (report_results), for the period's reports.
    /// Reports stored without them (by a dmarc older than schema version 2 that still ran when the store was
    /// upgraded, a poller say) get them summed here from their records, once.
    /// </summary>
    public static async Task<IReadOnlyList<ResultCountOfReport>> ResultCountsAsync(SqliteConnection db, RecordFilter filter, CancellationToken ct)
    {
        await using (var missing = Command(db, $"SELECT EXISTS ({Missing})", filter))
        {
            if (Convert.ToInt64(await missing.ExecuteScalarAsync(ct)) == 1)
            {
                missing.CommandText = $"""
                    WITH missing (id) AS ({Missing}), results (report, kind, value, count) AS ({ResultsOfMissing})
                    INSERT OR IGNORE INTO report_results (report, kind, value, messages)
                    SELECT report, kind, value, CAST(min(total(count), 9e18) AS INTEGER) FROM results GROUP BY report, kind, value
                    """;
                await missing.ExecuteNonQueryAsync(ct);
            }
        }
        await using var command = Command(db, $"""
            SELECT rp.id, x.kind, x.value, x.messages
              FROM reports rp CROSS JOIN report_results x ON x.report = rp.id
             WHERE {PeriodWhere}
            """, filter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<ResultCountOfReport>();
        while (await reader.ReadAsync(ct))
            rows.Add(new ResultCountOfReport(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                Math.Clamp(reader.GetInt64(3), 0, MaxCount * 1_000)));
        return rows;
    }

    private static SqliteCommand Command(SqliteConnection db, string sql, RecordFilter filter)
    {
        var command = db.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$from", filter.FromUtc);
        command.Parameters.AddWithValue("$to", filter.ToUtcExclusive);
        command.Parameters.AddWithValue("$domain", (object?)filter.Domain ?? DBNull.Value);
        return command;
    }

    private static string? Text(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
}
