using System.Text;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Ingest;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Storage;

public sealed partial class PostgresStoreTests
{
    /// <summary>Red-team F9: the report mail's verdict is stored, read per reporter, shown and exported alike on both stores.</summary>
    [Fact]
    public async Task ReportMailVerdictsReadBackAsFromSqlite()
    {
        var url = await cluster.CreateDatabaseAsync();
        var file = _folder.File("auth.db");
        var dns = ReportMailAuthTests.Keys("reporter.example", "forwarder.example");
        string[] mails =
        [
            await ReportMailAuthTests.SignAsync(ReportMailAuthTests.AggregateMail(reportId: "v")),
            await ReportMailAuthTests.SignAsync(ReportMailAuthTests.AggregateMail(reportId: "o"), "forwarder.example"),
            ReportMailAuthTests.AggregateMail(reportId: "u"),
            ReportMailAuthTests.AggregateMail(reportId: "s", domain: "stranger.example"),
        ];
        var seen = new List<object>();
        foreach (var database in new[] { file, url })
        {
            await using (var pipeline = await IngestPipeline.OpenAsync(database, IngestLimits.Default,
                             new ReportAcceptance(false, ["example.com"], dns), NullLogger.Instance, Ct))
            {
                for (var i = 0; i < mails.Length; i++)
                    await pipeline.IngestAsync(new MemoryStream(Encoding.Latin1.GetBytes(mails[i])), $"mail {i}", Ct);
            }
            await using var store = await Store.OpenAsync(database, Ct);
            var reporters = await store.ReportAuth.ReportersAsync(long.MinValue, long.MaxValue, null, Ct);
            var exported = await store.Export.ReportsAsync(Ct).Select(r => $"{r.ReportId} {r.Auth} {r.AuthDomains}").ToListAsync(Ct);
            var details = new List<string>();
            foreach (var id in new long[] { 1, 2, 3 })
                details.Add(await store.ReportDetails.FindAsync(id, Ct) is { } d ? $"{d.ReportId} {d.Auth} {d.AuthDomains}" : "none");
            var failures = (await store.Failures.ListAsync(Ct)).Select(f => f.Reason).ToList();
            seen.Add(string.Join("\n", reporters.Select(r => r.ToString()).Concat(exported).Concat(details.Order()).Concat(failures)));
        }
        Assert.Equal(seen[0], seen[1]);
        Assert.Contains("v verified reporter.example", (string)seen[0]);
        Assert.Contains("o SignedOtherDomain forwarder.example", (string)seen[0]);
        Assert.Contains("report for a domain not in Analysis:Domains: stranger.example", (string)seen[0]);
    }

    /// <summary>Red-team F9 follow-up: TLS and failure reports' verdicts, their exports' last columns and the TLS reporters read alike on both stores.</summary>
    [Fact]
    public async Task TlsAndFailureReportVerdictsReadBackAsFromSqlite()
    {
        var url = await cluster.CreateDatabaseAsync();
        var file = _folder.File("auth-kinds.db");
        var seen = new List<string>();
        foreach (var database in new[] { file, url })
        {
            await ReporterIdentityTests.FillAsync(database);
            await using var store = await Store.OpenAsync(database, Ct);
            var tls = await store.TlsReports.ExportAsync(Ct).Select(r => $"{r.ReportId} {r.Auth} {r.AuthDomains}").ToListAsync(Ct);
            var failures = await store.FailureReports.ExportAsync(Ct).Select(r => $"{r.ReportingDomain} {r.Auth} {r.AuthDomains}").ToListAsync(Ct);
            var reporters = await store.TlsReports.ReportersAsync(long.MinValue, long.MaxValue, null, Ct);
            seen.Add(string.Join("\n", tls.Concat(failures).Concat(reporters.Select(r => r.ToString()))));
        }
        Assert.Equal(seen[0], seen[1]);
        Assert.Contains("tls-signed verified provider.example", seen[0]);
        Assert.Contains("tls-unsigned unsigned ", seen[0]);
        Assert.Contains("receiver.example verified receiver.example", seen[0]);
        Assert.Contains("AuthDomains = provider.example", seen[0]);
    }
}
