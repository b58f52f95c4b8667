using System.CommandLine;
using System.Globalization;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc learn spf-overrides [--since DATE] [--max-addresses N] [--min-messages N] [--max-pairs N]</c>: zone-file lines for sender
/// domains that publish no SPF but send from a few fixed addresses, each with its evidence as a comment. Nothing is
/// changed: an administrator reviews them and adds the ones they trust to a zone file in Dns:Zones.
/// </summary>
internal static class LearnCommand
{
    public static Command Create()
    {
        var since = new Option<string?>("--since") { Description = "Only verdicts from this day on (YYYY-MM-DD, UTC); default: the whole log" };
        var maxAddresses = new Option<int>("--max-addresses") { Description = "Most addresses a domain may send from to be proposed", DefaultValueFactory = _ => 4 };
        var minMessages = new Option<int>("--min-messages") { Description = "Fewest messages a domain must have sent to be proposed", DefaultValueFactory = _ => 5 };
        var maxPairs = new Option<int>("--max-pairs")
        {
            Description = "Most distinct (sender domain, address) pairs read from the log; domains past it are left out, and said so on stderr",
            DefaultValueFactory = _ => SpfOverrideCriteria.DefaultMaxPairs,
        };
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var overrides = new Command("spf-overrides", "Propose local SPF records for sender domains without SPF, from the verdict log")
        {
            since, maxAddresses, minMessages, maxPairs,
        };
        settings.AddTo(overrides);
        overrides.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            DateTimeOffset? from = null;
            if (r.GetValue(since) is { } text)
            {
                if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                    throw new UsageException($"--since: '{text}' is not a date YYYY-MM-DD");
                from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            }
            if (r.GetValue(maxAddresses) is < 1 or > 100)
                throw new UsageException("--max-addresses must be 1 to 100");
            if (r.GetValue(minMessages) < 1)
                throw new UsageException("--min-messages must be at least 1");
            if (r.GetValue(maxPairs) < 1)
                throw new UsageException("--max-pairs must be at least 1");
            var path = AppConfiguration.DatabasePath(settings.Load(r));
            if (!StoreLocation.Exists(path))
                throw new UsageException($"database not found: {path}");
            await using var store = await Store.OpenAsync(path, ct);
            var criteria = new SpfOverrideCriteria(r.GetValue(maxAddresses), r.GetValue(minMessages), r.GetValue(maxPairs));
            var (proposals, notReadFrom) = await SpfOverrideProposals.FindAsync(store.Verdicts, from, criteria, ct);
            if (notReadFrom is not null)
                await r.InvocationConfiguration.Error.WriteLineAsync(
                    $"dmarc: stopped after {criteria.MaxPairs} (domain, address) pairs; sender domains from {notReadFrom} on (in name order) " +
                    "were not considered: use --since or --max-pairs");
            var output = r.InvocationConfiguration.Output;
            if (proposals.Count == 0)
            {
                await output.WriteLineAsync("; no sender domain without SPF sends from a small stable set of addresses");
                return ExitCodes.Ok;
            }
            await output.WriteLineAsync($"; {proposals.Count} proposed SPF records for domains that publish none; review before adding to a zone file in Dns:Zones");
            foreach (var proposal in proposals)
            {
                await output.WriteLineAsync(proposal.Evidence);
                await output.WriteLineAsync(proposal.ZoneLine);
            }
            return ExitCodes.Ok;
        });
        return new Command("learn", "Learn from the verdict log") { overrides };
    }
}
