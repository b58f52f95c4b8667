using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using DmarcAnalyzer.Imap;
using DmarcAnalyzer.Reports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc poll</c>: collects reports from the rua mailbox over IMAP. Every option can also come from the
/// configuration section <c>Imap</c> (<c>DMARC_Imap__Host</c>…); the password only from a file or
/// <c>DMARC_IMAP_PASSWORD</c>, never from the command line.
/// </summary>
internal static class PollCommand
{
    private const string PasswordVariable = "DMARC_IMAP_PASSWORD";

    public static Command Create()
    {
        var host = new Option<string?>("--host") { Description = "IMAP server (Imap:Host)" };
        var port = new Option<int?>("--port") { Description = "Port (Imap:Port; default 993 for implicit TLS, else 143)" };
        var tls = new Option<string?>("--tls") { Description = "implicit, starttls or none (Imap:Tls; default implicit); none only to a loopback address" };
        var user = new Option<string?>("--user") { Description = "Login name (Imap:User)" };
        var passwordFile = new Option<FileInfo?>("--password-file") { Description = $"File holding the password (Imap:PasswordFile); else ${PasswordVariable}" };
        var folder = new Option<string?>("--folder") { Description = "Folder the reports arrive in (Imap:Folder; default INBOX)" };
        var archive = new Option<string?>("--archive-folder") { Description = "Where stored reports go (Imap:ArchiveFolder; default DMARC/Processed)" };
        var failed = new Option<string?>("--failed-folder") { Description = "Where unreadable messages go (Imap:FailedFolder; default DMARC/Failed)" };
        var once = new Option<bool>("--once") { Description = "One pass, then exit with the summary line (the default)" };
        var every = new Option<string?>("--every") { Description = "Poll forever, sleeping this long between passes: 30s, 15m, 1h (Imap:Every)" };
        var idle = new Option<bool>("--idle") { Description = "Poll forever, waking on new mail with IMAP IDLE (polling --every, default 15m, when the server lacks IDLE)" };
        var caFile = new Option<FileInfo?>("--ca-file") { Description = "PEM file of the CA to trust instead of the system's (Imap:CaFile)" };
        var db = CommonOptions.Database();
        var config = CommonOptions.Config();
        var command = new Command("poll", "Collect DMARC aggregate reports from an IMAP mailbox into the database")
        {
            host, port, tls, user, passwordFile, folder, archive, failed, once, every, idle, caFile, db, config,
        };
        command.SetAction(async (result, ct) =>
        {
            var configuration = AppConfiguration.Load(result.GetValue(config));
            var imap = configuration.GetSection("Imap");
            var schedule = Schedule(result.GetValue(once), result.GetValue(idle), result.GetValue(every), imap["Every"]);
            var server = Server(
                result.GetValue(host) ?? imap["Host"] ?? throw new UsageException("no IMAP server: give --host or Imap:Host"),
                result.GetValue(port) ?? (imap["Port"] is { } p ? ParsePort(p) : null),
                result.GetValue(tls) ?? imap["Tls"] ?? "implicit",
                result.GetValue(caFile)?.FullName ?? imap["CaFile"]);
            var mailbox = new RuaMailbox(
                result.GetValue(user) ?? imap["User"] ?? throw new UsageException("no IMAP user: give --user or Imap:User"),
                Password(result.GetValue(passwordFile)?.FullName ?? imap["PasswordFile"]),
                result.GetValue(folder) ?? imap["Folder"] ?? "INBOX",
                result.GetValue(archive) ?? imap["ArchiveFolder"] ?? "DMARC/Processed",
                result.GetValue(failed) ?? imap["FailedFolder"] ?? "DMARC/Failed");

            using var logs = Logging.CreateFactory();
            var log = logs.CreateLogger("poll");
            try
            {
                await using var pipeline = await IngestPipeline.OpenAsync(
                    AppConfiguration.DatabasePath(result.GetValue(db), configuration), IngestCommand.Limits(configuration), log, ct);
                var poller = new RuaMailboxPoller(server, mailbox, pipeline.IngestAsync, pipeline.RecordFailureAsync, ImapLimits.Default, log);
                // SIGTERM (systemd's stop) asks for the same clean stop as Ctrl-C: finish the current message, then exit.
                using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct);
                using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
                {
                    signal.Cancel = true;
                    stopping.Cancel();
                });
                var outcome = await poller.RunAsync(schedule, stopping.Token);
                Console.Out.WriteLine(outcome.ToSummaryLine());
                return schedule.Mode == PollMode.Once ? ExitCodes.Of(outcome) : ExitCodes.Ok;
            }
            catch (Exception e) when (e is ImapException or Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
            {
                log.LogError("{Message}", e.Message);
                return ExitCodes.Fatal;
            }
        });
        return command;
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

    private static int ParsePort(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new UsageException($"not a port: {text}");

    private static ImapServer Server(string host, int? port, string tlsText, string? caFile)
    {
        var tls = tlsText.ToLowerInvariant() switch
        {
            "implicit" => ImapTls.Implicit,
            "starttls" => ImapTls.StartTls,
            "none" => ImapTls.None,
            _ => throw new UsageException($"--tls must be implicit, starttls or none, not {tlsText}"),
        };
        X509Certificate2Collection? trusted = null;
        if (caFile is not null)
        {
            if (!File.Exists(caFile))
                throw new UsageException($"CA file not found: {caFile}");
            trusted = [];
            trusted.ImportFromPemFile(caFile);
            if (trusted.Count == 0)
                throw new UsageException($"no PEM certificate in {caFile}");
        }
        var server = new ImapServer(host, port ?? (tls == ImapTls.Implicit ? 993 : 143), tls, trusted);
        if (tls == ImapTls.None && !server.IsLoopback)
            throw new UsageException("--tls none sends the password in clear: only allowed to a loopback address");
        return server;
    }

    private static string Password(string? file)
    {
        if (file is not null)
        {
            if (!File.Exists(file))
                throw new UsageException($"password file not found: {file}");
            // One line; a trailing newline from an editor or echo is not part of the password.
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        return Environment.GetEnvironmentVariable(PasswordVariable)
               ?? throw new UsageException($"no IMAP password: give --password-file or set {PasswordVariable}");
    }
}
