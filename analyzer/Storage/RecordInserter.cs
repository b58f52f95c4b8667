using DmarcAnalyzer.Reports;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// The hot path of a large report: one row per record (its first DKIM and SPF result inline, migration 2),
/// prepared statements driven through SQLite's own API and kept from one report to the next (a poller's reports
/// are mostly small), record ids assigned here (the caller's transaction holds the write lock) instead of read
/// back, and the report's result counts summed on the way.
/// </summary>
internal sealed class RecordInserter(SqliteConnection connection) : IDisposable
{
    private RawStatement? _lastId;
    private RawStatement? _record;
    private RawStatement? _reason;
    private RawStatement? _dkim;
    private RawStatement? _spf;
    private RawStatement? _counts;
    private long _report;
    private long _first;
    private long _id;
    private readonly ResultCounts _counted = new();

    /// <summary>Starts the records of a report, inside the transaction that stores it.</summary>
    public void Start(long report)
    {
        _lastId ??= new RawStatement(connection, "SELECT ifnull(max(id), 0) FROM records");
        _record ??= new RawStatement(connection, """
            INSERT INTO records (id, report, source_ip, count, disposition, dkim_eval, spf_eval, header_from, envelope_from, envelope_to,
                dkim_domain, dkim_selector, dkim_result, dkim_human_result, spf_domain, spf_scope, spf_result, spf_human_result)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
            """);
        _reason ??= new RawStatement(connection, "INSERT INTO record_reasons (record, type, comment) VALUES (?1, ?2, ?3)");
        _dkim ??= new RawStatement(connection,
            "INSERT INTO record_dkim (record, domain, selector, result, human_result) VALUES (?1, ?2, ?3, ?4, ?5)");
        _spf ??= new RawStatement(connection,
            "INSERT INTO record_spf (record, domain, scope, result, human_result) VALUES (?1, ?2, ?3, ?4, ?5)");
        _counts ??= new RawStatement(connection, "INSERT INTO report_results (report, kind, value, messages) VALUES (?1, ?2, ?3, ?4)");
        _report = report;
        _first = _id = _lastId.Scalar();
        _counted.Clear();
    }

    public long Inserted => _id - _first;

    public void Insert(ReportRecord r)
    {
        var record = _record ?? throw new InvalidOperationException("Start first");
        var id = ++_id;
        var dkim = r.Dkim.Length > 0 ? r.Dkim[0] : null;
        var spf = r.Spf.Length > 0 ? r.Spf[0] : null;
        record.Bind(1, id);
        record.Bind(2, _report);
        record.Bind(3, r.SourceIp);
        record.Bind(4, r.Count);
        record.Bind(5, r.Disposition);
        record.Bind(6, r.DkimEvaluated);
        record.Bind(7, r.SpfEvaluated);
        record.Bind(8, r.HeaderFrom);
        record.Bind(9, r.EnvelopeFrom);
        record.Bind(10, r.EnvelopeTo);
        record.Bind(11, dkim?.Domain);
        record.Bind(12, dkim?.Selector);
        record.Bind(13, dkim?.Result);
        record.Bind(14, dkim?.HumanResult);
        record.Bind(15, spf?.Domain);
        record.Bind(16, spf?.Scope);
        record.Bind(17, spf?.Result);
        record.Bind(18, spf?.HumanResult);
        record.Execute();

        var messages = Math.Clamp(r.Count, 0, RecordQueries.MaxCount);
        foreach (var o in r.Reasons)
        {
            _reason!.Bind(1, id);
            _reason.Bind(2, o.Type);
            _reason.Bind(3, o.Comment);
            _reason.Execute();
            _counted.Add(ResultCounts.Reason, o.Type, messages);
        }
        for (var i = 0; i < r.Dkim.Length; i++)
        {
            var d = r.Dkim[i];
            if (i > 0)
                Extra(_dkim!, id, d.Domain, d.Selector, d.Result, d.HumanResult);
            _counted.Add(ResultCounts.Dkim, d.Result, messages);
        }
        for (var i = 0; i < r.Spf.Length; i++)
        {
            var s = r.Spf[i];
            if (i > 0)
                Extra(_spf!, id, s.Domain, s.Scope, s.Result, s.HumanResult);
            _counted.Add(ResultCounts.Spf, s.Result, messages);
        }
    }

    /// <summary>Stores the report's summed result and reason counts (report_results).</summary>
    public void InsertResultCounts()
    {
        foreach (var ((kind, value), messages) in _counted.Sums())
        {
            _counts!.Bind(1, _report);
            _counts.Bind(2, kind);
            _counts.Bind(3, value);
            _counts.Bind(4, messages);
            _counts.Execute();
        }
    }

    private static void Extra(RawStatement insert, long recordId, string domain, string? selectorOrScope, string result, string? human)
    {
        insert.Bind(1, recordId);
        insert.Bind(2, domain);
        insert.Bind(3, selectorOrScope);
        insert.Bind(4, result);
        insert.Bind(5, human);
        insert.Execute();
    }

    public void Dispose()
    {
        foreach (var statement in new[] { _lastId, _record, _reason, _dkim, _spf, _counts })
            statement?.Dispose();
    }
}
