using System.Globalization;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>What the record-changed rule found: the alerts, and the records as seen now (to remember when not a dry run).</summary>
internal sealed record RecordWatch(IReadOnlyList<Alert> Alerts, IReadOnlyList<PublishedRecord> Seen);

/// <summary>
/// The record-changed rule: each owned domain's DMARC record (<c>_dmarc.DOMAIN</c>, RFC 9989) and SPF record (RFC 7208
/// §4.5) is looked up and compared with the text last seen; a change fires once (the next run sees the new text as the
/// last one). A record that breaks fires while it stays broken: SPF over the §4.6.4 lookup or void-lookup limits or
/// with a syntax error (<c>dmarc check spf</c>'s lint), more than one DMARC record or a DMARC record with a bad policy.
/// A DKIM selector that passed in the reports of the last <see cref="SelectorDays"/> days and no longer resolves fires
/// while it stays so (<c>dmarc check</c>'s view of a key). A name the DNS cannot answer for is skipped: nothing is
/// known about it, and the last seen text stays.
/// </summary>
internal static class PublishedRecordWatch
{
    /// <summary>DKIM selectors are those that passed in reports of this many days.</summary>
    public const int SelectorDays = 7;

    public static async Task<RecordWatch> CheckAsync(IDnsResolver dns, IPublishedRecordQueries db, IEnumerable<string> domains, DateTimeOffset now,
        CancellationToken ct)
    {
        var last = (await db.LastSeenAsync(ct)).ToDictionary(r => (r.Domain, r.Kind));
        var alerts = new List<Alert>();
        var seen = new List<PublishedRecord>();
        var ours = domains.Select(d => d.Trim().TrimEnd('.').ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var selector in await db.SelectorsSeenAsync(now.AddDays(-SelectorDays).ToUnixTimeSeconds(), ct))
        {
            if (ours.Contains(selector.Domain) && await SelectorGoneAsync(dns, selector, ct) is { } gone)
                alerts.Add(gone);
        }
        foreach (var domain in ours)
        {
            var dmarc = await dns.TxtAsync("_dmarc." + domain, ct);
            if (dmarc.Outcome != DnsOutcome.TempError)
            {
                var records = dmarc.Records.Where(DmarcRecord.IsDmarc).Order(StringComparer.Ordinal).ToList();
                var text = string.Join(" | ", records);
                Compare(alerts, last, new PublishedRecord(domain, PublishedRecordKind.Dmarc, text), seen);
                if (records.Count > 1)
                    alerts.Add(Broken(domain, PublishedRecordKind.Dmarc, $"_dmarc.{domain} has {records.Count} DMARC records; receivers ignore them all (RFC 9989)"));
                else if (records.Count == 1 && DmarcRecord.Parse(records[0]).PolicyError is { } error)
                    alerts.Add(Broken(domain, PublishedRecordKind.Dmarc, $"the DMARC record of {domain} is broken: {error}"));
            }

            var spf = await dns.TxtAsync(domain, ct);
            if (spf.Outcome != DnsOutcome.TempError)
            {
                var records = spf.Records.Where(SpfRecord.IsSpf).Order(StringComparer.Ordinal).ToList();
                Compare(alerts, last, new PublishedRecord(domain, PublishedRecordKind.Spf, string.Join(" | ", records)), seen);
                // A domain without SPF is told by the change above when it loses it; the lint is for records that exist.
                if (records.Count > 0)
                {
                    var lint = await new SpfLinter(dns).LintAsync(domain, ct);
                    if (!lint.Holds && !lint.DnsTrouble)
                        alerts.Add(Broken(domain, PublishedRecordKind.Spf, $"the SPF record of {domain} is broken: {string.Join("; ", lint.Errors)}"));
                }
            }
        }
        return new RecordWatch(alerts, seen);
    }

    /// <summary>
    /// A selector whose key record is gone (NXDOMAIN, no TXT) or unusable (revoked with an empty <c>p=</c>, or broken,
    /// as a verifier parses it: RFC 6376 §3.6.1): mail still signed with it fails DKIM. DNS trouble says nothing.
    /// </summary>
    private static async Task<Alert?> SelectorGoneAsync(IDnsResolver dns, SeenSelector seen, CancellationToken ct)
    {
        var name = $"{seen.Selector}._domainkey.{seen.Domain}";
        var key = await dns.TxtAsync(name, ct);
        var why = key.Outcome switch
        {
            DnsOutcome.NxDomain => "does not exist (NXDOMAIN)",
            DnsOutcome.NoData => "has no TXT record",
            DnsOutcome.Found when Unusable(key.Records) is { } reason => "has no usable key: " + reason,
            _ => null,
        };
        if (why is null)
            return null;
        var until = DateTimeOffset.FromUnixTimeSeconds(seen.LastSeenUtc).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return new Alert(AlertRule.RecordChanged, seen.Domain, "dkim:" + seen.Selector,
            $"DKIM selector {name}, seen passing in reports up to {until}, now {why}; mail still signed with it fails DKIM");
    }

    /// <summary>Why no TXT record at a selector is a key a verifier accepts, or null when one is.</summary>
    private static string? Unusable(IReadOnlyList<string> records)
    {
        string? reason = null;
        foreach (var record in records)
        {
            try
            {
                DkimKeyRecord.Parse(record);
                return null;
            }
            catch (DkimFormatException e)
            {
                reason ??= e.Message;
            }
        }
        return reason ?? "no record";
    }

    private static void Compare(List<Alert> alerts, Dictionary<(string, PublishedRecordKind), PublishedRecord> last, PublishedRecord now, List<PublishedRecord> seen)
    {
        seen.Add(now);
        // The first look at a domain only remembers what it publishes.
        if (!last.TryGetValue((now.Domain, now.Kind), out var before) || before.Text == now.Text)
            return;
        var name = Name(now.Kind);
        var text = (before.Text, now.Text) switch
        {
            ("", _) => $"{name} record published: {now.Text}",
            (_, "") => $"{name} record removed (it was: {before.Text})",
            _ => $"{name} record changed from {before.Text} to {now.Text}",
        };
        alerts.Add(new Alert(AlertRule.RecordChanged, now.Domain, Key(now.Kind), text));
    }

    private static Alert Broken(string domain, PublishedRecordKind kind, string text) =>
        new(AlertRule.RecordChanged, domain, Key(kind) + "-broken", text);

    private static string Key(PublishedRecordKind kind) => kind == PublishedRecordKind.Dmarc ? "dmarc" : "spf";

    private static string Name(PublishedRecordKind kind) => kind == PublishedRecordKind.Dmarc ? "DMARC" : "SPF";
}
