using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Ingest;
using DmarcAnalyzer.Tests.Reports;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Tests.Storage;

/// <summary>
/// Migration 2: a record's first DKIM and SPF result in its own row, further ones in the side tables, the
/// views showing them all in order, and each report's result counts summed once into report_results.
/// </summary>
public class RecordLayoutTests
{
    private const string TwoOfEach = """
        <?xml version="1.0"?>
        <feedback>
          <report_metadata><org_name>Reporter</org_name><report_id>r-1</report_id>
            <date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata>
          <policy_published><domain>example.com</domain><p>none</p></policy_published>
          <record>
            <row><source_ip>192.0.2.1</source_ip><count>7</count>
              <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf>
                <reason><type>forwarded</type></reason><reason><type>local_policy</type><comment>ok</comment></reason>
              </policy_evaluated></row>
            <identifiers><header_from>example.com</header_from></identifiers>
            <auth_results>
              <dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim>
              <dkim><domain>esp.example</domain><selector>s2</selector><result>fail</result><human_result>bad</human_result></dkim>
              <spf><domain>bounce.example.com</domain><scope>mfrom</scope><result>fail</result></spf>
              <spf><domain>helo.example</domain><scope>helo</scope><result>pass</result></spf>
            </auth_results>
          </record>
          <record>
            <row><source_ip>192.0.2.2</source_ip><count>3</count>
              <policy_evaluated><disposition>reject</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>
            <identifiers><header_from>example.com</header_from></identifiers>
            <auth_results><spf><domain>example.com</domain><result>fail</result></spf></auth_results>
          </record>
          <record>
            <row><source_ip>192.0.2.3</source_ip><count>2</count>
              <policy_evaluated><disposition>none</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>
            <identifiers><header_from>example.com</header_from></identifiers>
            <auth_results></auth_results>
          </record>
        </feedback>
        """;

    [Fact]
    public async Task IngestKeepsTheFirstResultsInlineTheRestAside()
    {
        await using var store = new IngestHarness();
        await store.IngestAsync(ReportXml.Bytes(TwoOfEach));

        Assert.Equal(
            ["192.0.2.1 example.com s1 pass bounce.example.com mfrom fail", "192.0.2.2 - - - example.com - fail", "192.0.2.3 - - - - - -"],
            await store.StringsAsync("""
                SELECT concat_ws(' ', source_ip, ifnull(dkim_domain, '-'), ifnull(dkim_selector, '-'), ifnull(dkim_result, '-'),
                       ifnull(spf_domain, '-'), ifnull(spf_scope, '-'), ifnull(spf_result, '-')) FROM records ORDER BY id
                """));
        Assert.Equal(["esp.example s2 fail bad"], await store.StringsAsync("SELECT concat_ws(' ', domain, selector, result, human_result) FROM record_dkim"));
        Assert.Equal(["helo.example helo pass"], await store.StringsAsync("SELECT concat_ws(' ', domain, scope, result) FROM record_spf"));
        Assert.Equal(ResultsOfTwoOfEach, await ViewsAndCountsAsync(store));
    }

    private static readonly string[] ResultsOfTwoOfEach =
    [
        "dkim 1 example.com pass", "dkim 1 esp.example fail",
        "spf 1 bounce.example.com fail", "spf 1 helo.example pass", "spf 2 example.com fail",
        "count dkim fail 7", "count dkim pass 7", "count reason forwarded 7", "count reason local_policy 7",
        "count spf fail 10", "count spf pass 7",
    ];

    [Fact]
    public async Task MigrationTwoMovesTheFirstResultsAndSumsExistingReports()
    {
        await using var store = new IngestHarness();
        await using (var v1 = new SqliteConnection($"Data Source={store.DatabasePath}"))
        {
            await v1.OpenAsync(TestContext.Current.CancellationToken);
            await using var create = v1.CreateCommand();
            create.CommandText = Schema.Migrations[0] + """
                ; PRAGMA user_version = 1;
                INSERT INTO reports (id, org_name, report_id, domain, begin_utc, end_utc, source, ingested_utc, raw_gzip)
                    VALUES (1, 'Reporter', 'r-1', 'example.com', 1700000000, 1700086399, 'test', 0, x'');
                INSERT INTO records (id, report, source_ip, count) VALUES (1, 1, '192.0.2.1', 7), (2, 1, '192.0.2.2', 3), (3, 1, '192.0.2.3', 2);
                INSERT INTO record_reasons (record, type) VALUES (1, 'forwarded');
                INSERT INTO record_reasons (record, type, comment) VALUES (1, 'local_policy', 'ok');
                INSERT INTO record_dkim (record, domain, selector, result) VALUES (1, 'example.com', 's1', 'pass');
                INSERT INTO record_spf (record, domain, scope, result) VALUES (1, 'bounce.example.com', 'mfrom', 'fail');
                INSERT INTO record_dkim (record, domain, selector, result, human_result) VALUES (1, 'esp.example', 's2', 'fail', 'bad');
                INSERT INTO record_spf (record, domain, scope, result) VALUES (2, 'example.com', NULL, 'fail');
                INSERT INTO record_spf (record, domain, scope, result) VALUES (1, 'helo.example', 'helo', 'pass');
                """;
            await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        Assert.Equal(Schema.Migrations.Count, await store.ScalarAsync("PRAGMA user_version"));
        Assert.Equal(1, await store.ScalarAsync("SELECT count(*) FROM record_dkim"));
        Assert.Equal(1, await store.ScalarAsync("SELECT count(*) FROM record_spf"));
        Assert.Equal(ResultsOfTwoOfEach, await ViewsAndCountsAsync(store));
    }

    [Fact]
    public async Task ReportsStoredByAnOlderDmarcGetTheirCountsSummedOnceWhenRead()
    {
        await using var store = new IngestHarness();
        await store.IngestAsync(ReportXml.Bytes(TwoOfEach));
        await using var db = await Database.OpenAsync(store.DatabasePath, TestContext.Current.CancellationToken);
        await using (var old = db.CreateCommand())
        {
            // What a poller started before migration 2 writes: every result in the side tables, no report_results.
            old.CommandText = """
                INSERT INTO reports (id, org_name, report_id, domain, begin_utc, end_utc, source, ingested_utc, raw_gzip)
                    VALUES (2, 'Old', 'r-2', 'example.com', 1700000000, 1700086399, 'test', 0, x'');
                INSERT INTO records (id, report, source_ip, count) VALUES (10, 2, '192.0.2.9', 4);
                INSERT INTO record_dkim (record, domain, result) VALUES (10, 'example.com', 'pass'), (10, 'esp.example', 'policy');
                INSERT INTO record_spf (record, domain, result) VALUES (10, 'example.com', 'softfail');
                INSERT INTO record_reasons (record, type) VALUES (10, 'mailing_list');
                """;
            await old.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }
        var all = new RecordFilter(null, 0, long.MaxValue);

        var counts = await RecordQueries.ResultCountsAsync(db, all, TestContext.Current.CancellationToken);
        Assert.Equal(["dkim pass 4", "dkim policy 4", "reason mailing_list 4", "spf softfail 4"],
            counts.Where(c => c.Report == 2).Select(c => $"{c.Kind} {c.Value} {c.Messages}").Order());
        Assert.Equal(6, counts.Count(c => c.Report == 1));
        Assert.Equal(10, await store.ScalarAsync("SELECT count(*) FROM report_results"));
        Assert.Equal(counts.Count, (await RecordQueries.ResultCountsAsync(db, all, TestContext.Current.CancellationToken)).Count);
    }

    [Fact]
    public async Task AReportWithEndlesslyNewResultValuesKeepsABoundedNumberOfCounts()
    {
        var records = string.Concat(Enumerable.Range(0, 1000).Select(i => $"""
            <record><row><source_ip>192.0.2.1</source_ip><count>1</count></row>
              <auth_results><dkim><domain>example.com</domain><result>made-up-{i}</result></dkim></auth_results></record>
            """));
        var xml = TwoOfEach[..TwoOfEach.IndexOf("<record>", StringComparison.Ordinal)] + records + "</feedback>";
        await using var store = new IngestHarness();
        Assert.Equal(1000, (await store.IngestAsync(ReportXml.Bytes(xml))).Records);

        Assert.Equal(ResultCounts.MaxDistinctValues + 1, await store.ScalarAsync("SELECT count(*) FROM report_results"));
        Assert.Equal(1000, await store.ScalarAsync("SELECT sum(messages) FROM report_results"));
        Assert.Equal(1000 - ResultCounts.MaxDistinctValues,
            await store.ScalarAsync($"SELECT messages FROM report_results WHERE value = '{ResultCounts.OtherValues}'"));
    }

    [Fact]
    public async Task ExportJoinsInlineAndExtraResultsInOrder()
    {
        await using var store = new IngestHarness();
        await store.IngestAsync(ReportXml.Bytes(TwoOfEach));
        await using var db = await Database.OpenAsync(store.DatabasePath, TestContext.Current.CancellationToken);
        var first = await new ExportQueries(db).RecordsAsync(TestContext.Current.CancellationToken).FirstAsync(TestContext.Current.CancellationToken);
        Assert.Equal("example.com:s1:pass esp.example:s2:fail", first.DkimResults);
        Assert.Equal("bounce.example.com:mfrom:fail helo.example:helo:pass", first.SpfResults);
    }

    /// <summary>Records go to SQLite sixteen to a statement: ids, order and the rows that refer to them must not care.</summary>
    [Fact]
    public async Task RecordsStoredManyToAStatementKeepTheirOrderAndTheirOwnDetails()
    {
        var count = RecordInserter.RowsPerInsert * 2 + 5;
        var records = string.Concat(Enumerable.Range(1, count).Select(i => $"""
            <record><row><source_ip>192.0.2.{i}</source_ip><count>{i}</count>
              <policy_evaluated>{(i % 3 == 0 ? $"<reason><type>forwarded</type><comment>r{i}</comment></reason>" : "")}</policy_evaluated></row>
              <auth_results><dkim><domain>example.com</domain><result>pass</result></dkim>
                {(i % 3 == 0 ? $"<dkim><domain>d{i}.example</domain><result>fail</result></dkim>" : "")}
                <spf><domain>example.com</domain><result>pass</result></spf>
                {(i % 4 == 0 ? $"<spf><domain>s{i}.example</domain><scope>helo</scope><result>fail</result></spf>" : "")}</auth_results></record>
            """));
        var xml = TwoOfEach[..TwoOfEach.IndexOf("<record>", StringComparison.Ordinal)] + records + "</feedback>";
        await using var store = new IngestHarness();
        Assert.Equal(count, (await store.IngestAsync(ReportXml.Bytes(xml))).Records);

        Assert.Equal(Enumerable.Range(1, count).Select(i => $"192.0.2.{i} {i}"),
            await store.StringsAsync("SELECT concat_ws(' ', source_ip, count) FROM records ORDER BY id"));
        Assert.Equal(Enumerable.Range(1, count).Where(i => i % 3 == 0).Select(i => $"192.0.2.{i} d{i}.example r{i}"),
            await store.StringsAsync("""
                SELECT concat_ws(' ', r.source_ip, d.domain, x.comment) FROM records r
                JOIN record_dkim d ON d.record = r.id JOIN record_reasons x ON x.record = r.id ORDER BY r.id
                """));
        Assert.Equal(Enumerable.Range(1, count).Where(i => i % 4 == 0).Select(i => $"192.0.2.{i} s{i}.example"),
            await store.StringsAsync("SELECT concat_ws(' ', r.source_ip, s.domain) FROM records r JOIN record_spf s ON s.record = r.id ORDER BY r.id"));
        Assert.Equal(Enumerable.Range(1, count).Where(i => i % 3 == 0).Sum(),
            await store.ScalarAsync("SELECT messages FROM report_results WHERE kind = 'reason'"));
    }

    /// <summary>Records that waited for a full statement when their report was abandoned are not stored with the next one.</summary>
    [Fact]
    public async Task RecordsOfAnAbandonedReportDoNotReachTheNextOne()
    {
        await using var store = new IngestHarness();
        await using var db = await Database.OpenAsync(store.DatabasePath, TestContext.Current.CancellationToken);
        await Database.ExecuteAsync(db, """
            INSERT INTO reports (id, org_name, report_id, domain, begin_utc, end_utc, source, ingested_utc, raw_gzip)
                VALUES (1, 'Reporter', 'abandoned', 'example.com', 0, 1, 'test', 0, x''), (2, 'Reporter', 'next', 'example.com', 0, 1, 'test', 0, x'')
            """, TestContext.Current.CancellationToken);
        var record = new ReportRecord("192.0.2.1", 1, "none", "pass", "pass", [], "example.com", null, null, [], []);
        using (var inserter = new RecordInserter(db))
        {
            inserter.Start(1);
            for (var i = 0; i < RecordInserter.RowsPerInsert - 1; i++)
                inserter.Insert(record);
            inserter.Start(2);
            inserter.Insert(record with { SourceIp = "192.0.2.2" });
            inserter.Finish();
            Assert.Equal(1, inserter.Inserted);
        }

        Assert.Equal(["next 192.0.2.2"],
            await store.StringsAsync("SELECT concat_ws(' ', p.report_id, r.source_ip) FROM records r JOIN reports p ON p.id = r.report ORDER BY r.id"));
    }

    private static async Task<List<string>> ViewsAndCountsAsync(IngestHarness store) =>
    [
        .. await store.StringsAsync("SELECT concat_ws(' ', 'dkim', record, domain, result) FROM dkim_results ORDER BY record, position"),
        .. await store.StringsAsync("SELECT concat_ws(' ', 'spf', record, domain, result) FROM spf_results ORDER BY record, position"),
        .. await store.StringsAsync("SELECT concat_ws(' ', 'count', kind, value, messages) FROM report_results ORDER BY kind, value"),
    ];
}
