using System.CommandLine;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Tests.Filter;

public sealed class SpfOverrideProposalsTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 10, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Directory.CreateTempSubdirectory("spf-learn-").FullName;
    private string DatabasePath => Path.Combine(_folder, "dmarc.db");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static VerdictRecord Record(int day, string sender, string ip, string spf) =>
        new(Start.AddDays(day), new MessageEnvelope("Q", ip, "unknown", "mx", sender, ["bob@example.net"], null, "smtpd"), sender,
            new Verdict(VerdictAction.Accept, "no rule applied") { Spf = spf, Dkim = "none", Dmarc = "none" });

    private async Task FillAsync()
    {
        var records = new List<VerdictRecord>();
        // A partner without SPF, from two fixed addresses over a month.
        for (var day = 0; day < 30; day++)
            records.Add(Record(day, $"invoices@Partner.example", day % 3 == 0 ? "192.0.2.20" : "192.0.2.10", "none"));
        records.Add(Record(31, "", "192.0.2.10", "none"));
        // Publishes SPF for part of the time: not a candidate.
        for (var day = 0; day < 10; day++)
            records.Add(Record(day, "a@changed.example", "198.51.100.1", day < 5 ? "none" : "pass"));
        // Sends from everywhere (a large provider or spam): not a candidate.
        for (var n = 0; n < 10; n++)
            records.Add(Record(n, $"x{n}@scattered.example", $"203.0.113.{n}", "none"));
        // Too few messages.
        records.Add(Record(1, "once@rare.example", "2001:db8::1", "none"));
        records.Add(Record(29, "a@recent.example", "2001:db8::7", "none"));
        await using var db = await Database.OpenAsync(DatabasePath, Ct);
        await VerdictStore.WriteAsync(new SqliteVerdictQueries(db), records, Ct);
    }

    [Fact]
    public async Task Only_domains_without_spf_sending_from_a_few_addresses_are_proposed_with_their_evidence()
    {
        await FillAsync();
        await using var db = await Database.OpenAsync(DatabasePath, Ct);
        var proposal = Assert.Single((await SpfOverrideProposals.FindAsync(new SqliteVerdictQueries(db), null, new SpfOverrideCriteria(), Ct)).Proposals);
        Assert.Equal("partner.example. IN TXT \"v=spf1 ip4:192.0.2.10 ip4:192.0.2.20 -all\"", proposal.ZoneLine);
        Assert.Equal(30, proposal.Messages);
        Assert.Equal("; partner.example: 30 messages from 2 addresses, first seen 2026-10-01 08:00 UTC, last seen 2026-10-30 08:00 UTC (192.0.2.10: 20, 192.0.2.20: 10)",
            proposal.Evidence);

        var (loose, notReadFrom) = await SpfOverrideProposals.FindAsync(new SqliteVerdictQueries(db), Start.AddDays(29), new SpfOverrideCriteria(MinMessages: 1), Ct);
        Assert.Null(notReadFrom);
        Assert.Equal(["partner.example", "recent.example"], loose.Select(p => p.Domain).Order());
        Assert.Equal("recent.example. IN TXT \"v=spf1 ip6:2001:db8::7 -all\"", loose.Single(p => p.Domain == "recent.example").ZoneLine);
    }

    [Theory]
    // Pairs in name order: changed.example 1, partner.example 2, rare.example 1, recent.example 1, scattered.example 10.
    [InlineData(2, null, "partner.example")]
    [InlineData(3, "partner.example", "rare.example")]
    [InlineData(4, "partner.example", "recent.example")]
    [InlineData(15, "partner.example", null)]
    public async Task A_domain_cut_by_the_pair_limit_is_not_proposed_and_where_reading_stopped_is_said(int maxPairs, string? proposed, string? notReadFrom)
    {
        await FillAsync();
        await using var db = await Database.OpenAsync(DatabasePath, Ct);
        var search = await SpfOverrideProposals.FindAsync(new SqliteVerdictQueries(db), null, new SpfOverrideCriteria(MaxPairs: maxPairs), Ct);
        // With the cap at 2 a partial partner.example (192.0.2.10 only) would have been proposed.
        Assert.Equal(proposed is null ? [] : [proposed], search.Proposals.Select(p => p.Domain));
        Assert.Equal(notReadFrom, search.NotReadFrom);
        if (proposed is not null)
            Assert.Equal("partner.example. IN TXT \"v=spf1 ip4:192.0.2.10 ip4:192.0.2.20 -all\"", search.Proposals[0].ZoneLine);
    }

    [Fact]
    public async Task The_command_says_on_stderr_where_the_pair_limit_stopped_it()
    {
        await FillAsync();
        var (code, output, error) = await RunWithErrorAsync("learn", "spf-overrides", "--db", DatabasePath, "--max-pairs", "2");
        Assert.Equal(0, code);
        Assert.StartsWith("; no sender domain", output);
        Assert.Contains("stopped after 2 (domain, address) pairs; sender domains from partner.example on", error);
    }

    [Fact]
    public async Task The_domain_is_the_one_after_the_last_at_sign_and_must_be_a_host_name()
    {
        var records = new List<VerdictRecord>();
        for (var day = 0; day < 10; day++)
        {
            // A quoted local part may hold '@' and zone-file syntax; the sender writes it, not the domain's owner.
            records.Add(Record(day, "\"x@evil.example. IN TXT \"@quoted.example", "192.0.2.30", "none"));
            records.Add(Record(day, "x@bad\"name.example", "192.0.2.31", "none"));
        }
        await using var db = await Database.OpenAsync(DatabasePath, Ct);
        await VerdictStore.WriteAsync(new SqliteVerdictQueries(db), records, Ct);
        var proposal = Assert.Single((await SpfOverrideProposals.FindAsync(new SqliteVerdictQueries(db), null, new SpfOverrideCriteria(), Ct)).Proposals);
        Assert.Equal("quoted.example. IN TXT \"v=spf1 ip4:192.0.2.30 -all\"", proposal.ZoneLine);
    }

    [Fact]
    public async Task The_command_prints_zone_file_lines_and_checks_its_date()
    {
        await FillAsync();
        var (code, output) = await RunAsync("learn", "spf-overrides", "--db", DatabasePath, "--since", "2026-10-01");
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("; 1 proposed SPF records", lines[0]);
        Assert.StartsWith("; partner.example: 30 messages", lines[1]);
        Assert.Equal("partner.example. IN TXT \"v=spf1 ip4:192.0.2.10 ip4:192.0.2.20 -all\"", lines[2]);
        // The output is a zone file as it stands: the resolver loads it.
        var zone = Path.Combine(_folder, "learned.zone");
        await File.WriteAllTextAsync(zone, output, Ct);
        var record = Assert.Single(await DmarcAnalyzer.Dns.ZoneFile.LoadAsync(zone, Ct));
        Assert.Equal(("partner.example", "v=spf1 ip4:192.0.2.10 ip4:192.0.2.20 -all"), (record.Name, record.Text));

        var (_, none) = await RunAsync("learn", "spf-overrides", "--db", DatabasePath, "--since", "2026-12-01");
        Assert.StartsWith("; no sender domain", none);
        await Assert.ThrowsAsync<UsageException>(() => RunAsync("learn", "spf-overrides", "--db", DatabasePath, "--since", "1.10.2026"));
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var (code, output, _) = await RunWithErrorAsync(args);
        return (code, output);
    }

    private static async Task<(int Code, string Output, string Error)> RunWithErrorAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var parsed = new RootCommand { LearnCommand.Create() }.Parse(args);
        Assert.Empty(parsed.Errors);
        var code = await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, Ct);
        return (code, output.ToString(), error.ToString());
    }
}
