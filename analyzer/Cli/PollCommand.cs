using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using DmarcAnalyzer.Imap;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc poll</c>: collects reports from the rua mailboxes over IMAP (MailKit). Every option can also come from the
/// configuration section <c>Imap</c> (<c>DMARC_Imap__Host</c>…), and <c>Imap:Mailboxes</c> lists several mailboxes
/// (<see cref="PollMailboxes"/>); a password only from a file or the environment, never from the command line.
/// </summary>
internal static class PollCommand
{
    public static Command Create()
    {
        var mailbox = new Option<string?>("--mailbox") { Description = "Serve only this one of Imap:Mailboxes (the options below then change its settings)" };
        var settings = new CommandConfiguration();
        settings.Bind(new Option<string?>("--host") { Description = "IMAP server (Imap:Host)" }, "Imap:Host");
        settings.Bind(new Option<int?>("--port") { Description = "Port (Imap:Port; default 993 for implicit TLS, else 143)" }, "Imap:Port");
        settings.Bind(new Option<string?>("--tls") { Description = "implicit, starttls or none (Imap:Tls; default implicit); none only to a loopback address" }, "Imap:Tls");
        settings.Bind(new Option<string?>("--user") { Description = "Login name (Imap:User)" }, "Imap:User");
        settings.Bind(new Option<FileInfo?>("--password-file") { Description = $"File holding the password (Imap:PasswordFile); else ${PollMailboxes.PasswordVariable}" }, "Imap:PasswordFile");
        settings.Bind(new Option<string?>("--auth") { Description = "password or oauth2 (Imap:Auth; default password, oauth2 when a token source is given)" }, "Imap:Auth");
        settings.Bind(new Option<FileInfo?>("--token-file") { Description = "File holding the OAuth2 access token, re-read at every connection (Imap:TokenFile)" }, "Imap:TokenFile");
        settings.Bind(new Option<string?>("--token-command") { Description = "Command printing the OAuth2 access token, run without a shell at every connection (Imap:TokenCommand)" }, "Imap:TokenCommand");
        settings.Bind(new Option<string?>("--folder") { Description = "Folder the reports arrive in (Imap:Folder; default INBOX)" }, "Imap:Folder");
        settings.Bind(new Option<string?>("--archive-folder") { Description = "Where stored reports go (Imap:ArchiveFolder; default DMARC/Processed)" }, "Imap:ArchiveFolder");
        settings.Bind(new Option<string?>("--failed-folder") { Description = "Where unreadable messages go (Imap:FailedFolder; default DMARC/Failed)" }, "Imap:FailedFolder");
        settings.Bind(new Option<FileInfo?>("--ca-file") { Description = "PEM file of the CA to trust instead of the system's (Imap:CaFile)" }, "Imap:CaFile");
        var once = new Option<bool>("--once") { Description = "One pass, then exit with the summary line (the default)" };
        var every = new Option<string?>("--every") { Description = "Poll forever, sleeping this long between passes: 30s, 15m, 1h (Imap:Every)" };
        var idle = new Option<bool>("--idle") { Description = "Poll forever, waking on new mail with IMAP IDLE (polling --every, default 15m, when the server lacks IDLE)" };
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var dns = new DnsCommandOptions();
        var command = new Command("poll", "Collect DMARC aggregate reports from IMAP mailboxes into the database") { mailbox, once, every, idle };
        settings.AddTo(command);
        dns.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var pick = result.GetValue(mailbox);
            var configuration = settings.Load(result);
            var schedule = Schedule(result.GetValue(once), result.GetValue(idle), result.GetValue(every), configuration["Imap:Every"]);
            // The command line changes the mailbox picked from Imap:Mailboxes, else the Imap section itself.
            if (pick is not null && PollMailboxes.KeyOf(configuration.GetSection("Imap"), pick) is { } entry)
                configuration = settings.Load(result, key => key.Replace("Imap:", $"Imap:Mailboxes:{entry}:", StringComparison.Ordinal));
            var mailboxes = PollMailboxes.Resolve(configuration.GetSection("Imap"), pick, settings.AnyGiven(result, "Imap:"));

            using var logs = Logging.CreateFactory();
            var log = logs.CreateLogger("poll");
            try
            {
                await using var pipeline = await IngestPipeline.OpenAsync(AppConfiguration.DatabasePath(configuration), IngestConsole.Limits(configuration),
                    IngestConsole.Acceptance(configuration, await dns.CreateResolverAsync(result, configuration, ct)), log, ct);
                var poller = new MailboxesPoller(mailboxes, pipeline.IngestAsync, pipeline.RecordFailureAsync, ImapLimits.Default, ReconnectPolicy.Default, log)
                {
                    AfterPass = schedule.Mode == PollMode.Once ? null : await AlertsAfterPassAsync(result, configuration, dns, logs, ct),
                };
                // SIGTERM (systemd's stop) asks for the same clean stop as Ctrl-C: finish the current message, then exit.
                using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct);
                using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
                {
                    signal.Cancel = true;
                    stopping.Cancel();
                });
                var outcome = await poller.RunAsync(schedule, stopping.Token);
                // The summary covers every mailbox served, also when another could not be: its reports are stored.
                if (outcome.Ingested.ToOtherKindsLine() is { } otherKinds)
                    Console.Out.WriteLine(otherKinds);
                Console.Out.WriteLine(outcome.Ingested.ToSummaryLine());
                if (outcome.FailedMailboxes.Count > 0)
                    return ExitCodes.Fatal;
                return schedule.Mode == PollMode.Once ? ExitCodes.Of(outcome.Ingested) : ExitCodes.Ok;
            }
            catch (Exception e) when (StoreErrors.IsTheStores(e) || e is IOException or UnauthorizedAccessException)
            {
                log.LogError("{Message}", e.Message);
                return ExitCodes.Fatal;
            }
        });
        return command;
    }

    /// <summary>
    /// The loop modes evaluate the alert rules after each pass when the configuration names somewhere to send them
    /// (<c>Alerts:Recipients</c> or <c>Alerts:Webhooks</c>). A failing evaluation is logged and polling goes on.
    /// </summary>
    private static async Task<Func<CancellationToken, Task>?> AlertsAfterPassAsync(ParseResult result, IConfiguration configuration, DnsCommandOptions dns,
        ILoggerFactory logs, CancellationToken ct)
    {
        var setup = AlertConsole.Setup.From(configuration);
        if (!setup.Settings.HasChannels)
            return null;
        var resolver = await dns.CreateResolverAsync(result, configuration, ct);
        var log = logs.CreateLogger("alert");
        return async stop =>
        {
            try
            {
                await AlertConsole.RunAsync(configuration, setup, resolver, dryRun: false, Console.Out, logs, stop);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                log.LogError(e, "alert rules after the poll pass: {Message}", e.Message);
            }
        };
    }

    /// <summary>--once wins over a configured Imap:Every; on the command line it cannot be combined with a loop mode.</summary>
    private static PollSchedule Schedule(bool once, bool idle, string? every, string? configuredEvery)
    {
        if (once && (idle || every is not null))
            throw new UsageException("--once cannot be combined with --every or --idle");
        if (once)
            return PollSchedule.Once;
        every ??= configuredEvery;
        var interval = every is null ? TimeSpan.FromMinutes(15) : ParseInterval(every);
        if (idle)
            return new PollSchedule(PollMode.Idle, interval);
        return every is null ? PollSchedule.Once : new PollSchedule(PollMode.Every, interval);
    }

    /// <summary><c>90s</c>, <c>15m</c>, <c>2h</c>, or a plain TimeSpan (<c>00:15:00</c>).</summary>
    internal static TimeSpan ParseInterval(string text)
    {
        text = text.Trim();
        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            TimeSpan? value = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                _ => null,
            };
            if (value is { } v)
                return v;
        }
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
            return span;
        throw new UsageException($"not an interval: {text} (try 30s, 15m or 1h)");
    }
}
