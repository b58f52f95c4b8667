using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>The report's inbound section, from verdicts stored as the milter stores them.</summary>
public sealed class InboundAnalyzerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dmarc-inbound-").FullName;
    private string DatabasePath => Path.Combine(_folder, "dmarc.db");
    private string Out => Path.Combine(_folder, "reports");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static VerdictRecord Record(DateOnly day, string from, string? spf, string? dkim, string? dmarc, VerdictAction action, string reason) =>
        new(new DateTimeOffset(day.ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero),
            new MessageEnvelope("Q", "192.0.2.1", "unknown", "mx", "x@sender.example", ["bob@example.net"], null, "smtpd"), from,
            new DmarcAnalyzer.Filter.Verdict(action, reason) { Spf = spf, Dkim = dkim, Dmarc = dmarc });

    private async Task FillAsync()
    {
        // Monday 2026-02-23 (W09) and Monday 2026-03-02 (W10): two weeks, two months.
        var w09 = new DateOnly(2026, 2, 23);
        var w10 = new DateOnly(2026, 3, 2);
        VerdictRecord[] records =
        [
            Record(w09, "Joe <joe@partner.example>", "pass", "pass", "pass", VerdictAction.Accept, "no rule applied"),
            Record(w09, "Joe <joe@partner.example>", "pass", "pass", "pass", VerdictAction.Accept, "no rule applied"),
            Record(w09, "\"CEO\" <ceo@Victim.example>", "fail", "none", "fail", VerdictAction.RemoveAttachments, "forged sender: DMARC fail for victim.example"),
            Record(w09, "a@b.example", "none", "none", "none", VerdictAction.Reject, "encrypted attachment: x.zip/x.doc (ZIP)"),
            Record(w10, "ceo@victim.example", "softfail", "fail", "fail", VerdictAction.Accept, "no rule applied"),
            Record(w10, "s@slow.example", "pass", "none", "temperror", VerdictAction.Tempfail, "DNS temporary error: DMARC for slow.example: timed out"),
            Record(w10, "me@example.net", null, null, null, VerdictAction.Accept, "submission (authenticated as me)"),
        ];
        await using var db = await Database.OpenAsync(DatabasePath, Ct);
        await VerdictStore.WriteAsync(new SqliteVerdictQueries(db), records, Ct);
    }

    [Theory]
    [InlineData("\"ceo@bank.example\" <x@real.example>", "real.example")]
    [InlineData("Bank <Info@Bank.Example.>", "bank.example")]
    [InlineData("plain@example.net", "example.net")]
    [InlineData("no address here", null)]
    public void The_forged_domain_is_the_address_one_not_the_display_name_one(string from, string? domain) =>
        Assert.Equal(domain, InboundAnalyzer.FromDomain(from));

    [Fact]
    public void Archives_that_could_not_be_inspected_are_named_as_such() =>
        Assert.Equal("rejected: not inspectable", InboundAnalyzer.ActionName("reject", "archive could not be fully inspected: inflate limit reached: a.zip"));

    [Fact]
    public async Task Tallies_results_by_week_and_month_actions_and_forged_domains_without_submissions()
    {
        await FillAsync();
        await using var db = await Database.OpenAsync(DatabasePath, Ct);
        var inbound = await InboundAnalyzer.AnalyzeAsync(new SqliteVerdictQueries(db), ReportPeriod.All, Ct);

        Assert.NotNull(inbound);
        Assert.Equal(6, inbound.Total.Messages);
        Assert.Equal(["2026-W09", "2026-W10"], inbound.Weeks.Select(w => w.Label));
        Assert.Equal(["2026-02", "2026-03"], inbound.Months.Select(m => m.Label));
        Assert.Equal(InboundAnalysis.SpfWords, inbound.Total.Spf.Select(c => c.Name));
        // Each check shows its own RFC 8601 words: softfail is SPF's alone, and DMARC has no neutral either.
        Assert.DoesNotContain("softfail", inbound.Total.Dkim.Select(c => c.Name));
        Assert.Equal(InboundAnalysis.DmarcWords, inbound.Total.Dmarc.Select(c => c.Name).Take(InboundAnalysis.DmarcWords.Count));
        Assert.DoesNotContain(inbound.Total.Dmarc, c => c.Name is "softfail" or "neutral");
        Assert.Equal([3L, 1, 1, 0, 1, 0, 0], inbound.Total.Spf.Select(c => c.Count));
        Assert.Equal(2, InboundTally.Of(inbound.Months[0].Tally.Dmarc, "pass"));
        Assert.Equal(1, InboundTally.Of(inbound.Weeks[1].Tally.Dmarc, "temperror"));
        Assert.Equal(new NamedCount("victim.example", 2), Assert.Single(inbound.ForgedDomains));
        Assert.Equal(
            ["delivered: 3", "attachments removed (forged sender): 1", "rejected: encrypted archive: 1", "tempfailed: DNS trouble: 1"],
            inbound.Actions.Select(a => $"{a.Name}: {a.Count}"));

        Assert.Null(await InboundAnalyzer.AnalyzeAsync(new SqliteVerdictQueries(db), new ReportPeriod(new DateOnly(2026, 4, 1), null), Ct));
    }

    [Fact]
    public async Task The_report_shows_the_inbound_section_only_when_the_log_has_rows()
    {
        await (await Database.OpenAsync(DatabasePath, Ct)).DisposeAsync();
        Assert.Equal(ExitCodes.Ok, await CommandLine.RunAsync(["report", "--db", DatabasePath, "--out", Out, "--no-dns"]));
        Assert.DoesNotContain("Received mail", await File.ReadAllTextAsync(Path.Combine(Out, "index.html"), Ct));
        Assert.False(File.Exists(Path.Combine(Out, "inbound.csv")));

        await FillAsync();
        Assert.Equal(ExitCodes.Ok, await CommandLine.RunAsync(["report", "--db", DatabasePath, "--out", Out, "--no-dns"]));
        var html = await File.ReadAllTextAsync(Path.Combine(Out, "index.html"), Ct);
        Assert.Contains("Received mail (milter verdict log)", html);
        Assert.Contains("DMARC results of received mail by month", html);
        Assert.Contains("victim.example", html);
        Assert.True(File.Exists(Path.Combine(Out, "_inbound-dmarc-results.svg")));
        var csv = await File.ReadAllLinesAsync(Path.Combine(Out, "inbound.csv"), Ct);
        Assert.Contains("month,2026-02,2026-02-01,dmarc,pass,2,0.5000", csv);
        Assert.Contains("week,2026-W10,2026-03-02,spf,softfail,1,0.5000", csv);
        Assert.Contains("victim.example,2", await File.ReadAllLinesAsync(Path.Combine(Out, "inbound-forged.csv"), Ct));
    }
}
