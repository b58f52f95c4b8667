using System.CommandLine;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc digest [--week YYYY-Www] [--to ADDR...] [--domain D] [--dry-run FILE.eml]</c>: the weekly policy-readiness
/// digest by mail, through the outbox, to <c>Digest:Recipients</c> (or <c>--to</c>). The week defaults to the last
/// complete ISO week. <c>--dry-run</c> writes the mail to FILE.eml instead (further mails, for other recipients, to
/// FILE-2.eml and on). A digest goes once per week, domain and recipient (noted in the store with the spooled mail, in
/// one transaction): a second run for the same week sends nothing new, <c>--force</c> sends it again.
/// </summary>
internal static class DigestCommand
{
    public static Command Create()
    {
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var week = new Option<string?>("--week") { Description = "ISO week, YYYY-Www (default: the last complete week)" };
        var to = new Option<string[]>("--to") { Description = "Send to these addresses instead of Digest:Recipients", AllowMultipleArgumentsPerToken = true };
        var domain = new Option<string?>("--domain") { Description = "Only this policy domain" };
        var dryRun = new Option<FileInfo?>("--dry-run") { Description = "Write the mail to this .eml file instead of sending it" };
        var noDns = new Option<bool>("--no-dns") { Description = "Do not look up reverse DNS names; use only those cached in the store" };
        var force = new Option<bool>("--force") { Description = "Send the week's digest again to recipients it already went to" };
        var dns = new DnsCommandOptions();
        var command = new Command("digest", "Send the weekly policy-readiness digest by mail") { week, to, domain, dryRun, noDns, force };
        settings.AddTo(command);
        dns.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var configuration = settings.Load(r);
            var isoWeek = r.GetValue(week) is { } text
                ? IsoWeek.TryParse(text, out var w) ? w : throw new UsageException($"--week: '{text}' is not an ISO week like 2026-W07")
                : IsoWeek.Of(DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-7));
            DigestRecipients recipients;
            IReadOnlyList<MailboxAddress> addresses;
            KnownSenders known;
            try
            {
                recipients = DigestRecipients.FromConfiguration(configuration.GetSection("Digest:Recipients"));
                addresses = (r.GetValue(to) ?? []).Select(a => DigestRecipients.Parse("--to", a)).ToList();
                known = KnownSenders.FromConfiguration(configuration.GetSection("Analysis:KnownSenders"));
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message);
            }
            if (addresses.Count == 0 && recipients.ByDomain.Count == 0)
                throw new UsageException("no recipients: give --to or configure Digest:Recipients");
            var resolver = r.GetValue(noDns) ? null : await dns.CreateResolverAsync(r, configuration, ct);

            var database = AppConfiguration.DatabasePath(configuration);
            await using var store = await Store.OpenAsync(database, ct);
            var analyzer = new StoreAnalyzer(known.With(await store.KnownSenders.ListAsync(ct)), new ReverseDnsNames(resolver, TimeProvider.System), BaseDomain.Default);
            var digest = await WeeklyDigest.AnalyzeAsync(store.Records, store.Verdicts, store.TlsReports, store.FailureReports, analyzer, isoWeek,
                r.GetValue(domain), ct);
            var messages = await DigestMail.ComposeAsync(digest, recipients, addresses, DateTimeOffset.UtcNow, ct);
            if (messages.Count == 0)
            {
                Console.WriteLine($"digest {isoWeek}: no domain has recipients");
                return ExitCodes.Ok;
            }
            if (r.GetValue(dryRun) is { } file)
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    var path = i == 0 ? file.FullName : Path.ChangeExtension(file.FullName, null) + $"-{i + 1}.eml";
                    await messages[i].Message.WriteToAsync(path, ct);
                    Console.WriteLine($"digest {isoWeek}: {Describe(messages[i].Message)} written to {path}");
                }
                return ExitCodes.Ok;
            }
            using var logs = Logging.CreateFactory();
            var outbox = new Outbox(store.Outbox, SmtpSettings.FromConfiguration(configuration), TimeProvider.System, logs.CreateLogger<Outbox>());
            var sent = await store.Digests.SentAsync(isoWeek.ToString(), ct);
            foreach (var (message, domains) in messages)
            {
                // A digest of a week without reports is noted under "*".
                var told = domains.Count > 0 ? domains : ["*"];
                var recipientsOf = message.To.Mailboxes.Select(m => m.Address.ToLowerInvariant()).ToList();
                if (!r.GetValue(force) && told.All(d => recipientsOf.All(a => sent.Contains((d, a)))))
                {
                    Console.WriteLine($"digest {isoWeek}: {Describe(message)} already sent (--force sends it again)");
                    continue;
                }
                await store.Digests.SpoolAsync(isoWeek.ToString(), told, recipientsOf, await outbox.PrepareAsync(message, ct), DateTimeOffset.UtcNow, ct);
                Console.WriteLine($"digest {isoWeek}: {Describe(message)} queued");
            }
            var flush = await outbox.FlushAsync(ct);
            Console.WriteLine($"outbox: {flush.Sent} sent, {flush.Deferred} deferred");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Describe(MimeMessage message) => "to " + string.Join(", ", message.To.Mailboxes.Select(m => m.Address));
}
