using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage.Fast;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// The hot path of a large report: one row per record (its first DKIM and SPF result inline, migration 2, and the
/// flags the analysis reads, <see cref="IngestedFlags"/>),
/// <see cref="RowsPerInsert"/> rows per statement, prepared statements driven through SQLite's own API and
/// kept from one report to the next (a poller's reports are mostly small), record ids assigned here (the
/// caller's transaction holds the write lock) instead of read back, and the report's result counts summed on
/// the way.
/// </summary>
internal sealed class RecordInserter(SqliteConnection connection) : IDisposable
{
    /// <summary>
    /// Records stored by one INSERT: each run of a statement costs SQLite cursors opened, positioned and closed,
    /// and us two calls into it, however many rows it has. Sixteen measured best (bench/README.md, dmarc ingest).
    /// </summary>
    public const int RowsPerInsert = 16;

    private const int Columns = 20;

    private RawStatement? _lastId;
    private RawStatement? _record;
    private RawStatement? _records;
    private RawStatement? _reason;
    private RawStatement? _dkim;
    private RawStatement? _spf;
    private RawStatement? _counts;
    private long _report;
    private long _first;
    private long _id;
    private readonly ResultCounts _counted = new();
    private readonly ReportRecord[] _waiting = new ReportRecord[RowsPerInsert];
    private int _waitingCount;

    /// <summary>Starts the records of a report, inside the transaction that stores it.</summary>
    public void Start(long report)
    {
        _lastId ??= new RawStatement(connection, "SELECT ifnull(max(id), 0) FROM records");
        _record ??= new RawStatement(connection, InsertRecords(1));
        _records ??= new RawStatement(connection, InsertRecords(RowsPerInsert));
        _reason ??= new RawStatement(connection, "INSERT INTO record_reasons (record, type, comment) VALUES (?1, ?2, ?3)");
        _dkim ??= new RawStatement(connection,
            "INSERT INTO record_dkim (record, domain, selector, result, human_result) VALUES (?1, ?2, ?3, ?4, ?5)");
        _spf ??= new RawStatement(connection,
            "INSERT INTO record_spf (record, domain, scope, result, human_result) VALUES (?1, ?2, ?3, ?4, ?5)");
        _counts ??= new RawStatement(connection, "INSERT INTO report_results (report, kind, value, messages) VALUES (?1, ?2, ?3, ?4)");
        _report = report;
        _first = _id = _lastId.Scalar();
        _counted.Clear();
        // Records of a report abandoned part-way are not stored with the next one.
        Array.Clear(_waiting);
        _waitingCount = 0;
    }

    private static string InsertRecords(int rows) => """
        INSERT INTO records (id, report, source_ip, count, disposition, dkim_eval, spf_eval, header_from, envelope_from, envelope_to,
            dkim_domain, dkim_selector, dkim_result, dkim_human_result, spf_domain, spf_scope, spf_result, spf_human_result, flags, own_signer)
        VALUES
        """ + string.Join(",", Enumerable.Repeat("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows));

    /// <summary>Records stored so far: all of the report's after <see cref="Finish"/>.</summary>
    public long Inserted => _id - _first;

    /// <summary>Stores the record, with the ones before it that wait for a full statement.</summary>
    public void Insert(ReportRecord r)
    {
        if (_records is null)
            throw new InvalidOperationException("Start first");
        _waiting[_waitingCount++] = r;
        if (_waitingCount == RowsPerInsert)
            StoreWaiting();
    }

    /// <summary>
    /// Stores the waiting records, then their further results and reasons: a row that refers to a record comes
    /// after it, as foreign keys are checked at the end of each statement.
    /// </summary>
    private void StoreWaiting()
    {
        var first = _id + 1;
        if (_waitingCount == RowsPerInsert)
        {
            for (var i = 0; i < RowsPerInsert; i++)
                Bind(_records!, i * Columns, first + i, _waiting[i]);
            _records!.Execute();
        }
        else
        {
            for (var i = 0; i < _waitingCount; i++)
            {
                Bind(_record!, 0, first + i, _waiting[i]);
                _record!.Execute();
            }
        }
        for (var i = 0; i < _waitingCount; i++)
            StoreDetails(first + i, _waiting[i]);
        _id += _waitingCount;
        Array.Clear(_waiting, 0, _waitingCount);
        _waitingCount = 0;
    }

    /// <summary>Binds the record's row to the statement's parameters from <paramref name="offset"/> + 1 on.</summary>
    private void Bind(RawStatement insert, int offset, long id, ReportRecord r)
    {
        var dkim = r.Dkim.Length > 0 ? r.Dkim[0] : null;
        var spf = r.Spf.Length > 0 ? r.Spf[0] : null;
        insert.Bind(offset + 1, id);
        insert.Bind(offset + 2, _report);
        insert.Bind(offset + 3, r.SourceIp);
        insert.Bind(offset + 4, r.Count);
        insert.Bind(offset + 5, r.Disposition);
        insert.Bind(offset + 6, r.DkimEvaluated);
        insert.Bind(offset + 7, r.SpfEvaluated);
        insert.Bind(offset + 8, r.HeaderFrom);
        insert.Bind(offset + 9, r.EnvelopeFrom);
        insert.Bind(offset + 10, r.EnvelopeTo);
        insert.Bind(offset + 11, dkim?.Domain);
        insert.Bind(offset + 12, dkim?.Selector);
        insert.Bind(offset + 13, dkim?.Result);
        insert.Bind(offset + 14, dkim?.HumanResult);
        insert.Bind(offset + 15, spf?.Domain);
        insert.Bind(offset + 16, spf?.Scope);
        insert.Bind(offset + 17, spf?.Result);
        insert.Bind(offset + 18, spf?.HumanResult);
        insert.Bind(offset + 19, IngestedFlags.Of(r, out var ownSigner));
        insert.Bind(offset + 20, ownSigner);
    }

    /// <summary>The record's reasons and its results after the first of each kind, and its share of the counts.</summary>
    private void StoreDetails(long id, ReportRecord r)
    {
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

    /// <summary>Stores the records still waiting, then the report's summed result and reason counts (report_results).</summary>
    public void Finish()
    {
        StoreWaiting();
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
        foreach (var statement in new[] { _lastId, _record, _records, _reason, _dkim, _spf, _counts })
            statement?.Dispose();
    }
}
