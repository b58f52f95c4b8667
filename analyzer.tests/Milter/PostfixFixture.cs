using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Milter;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using DmarcAnalyzer.Auth;

namespace DmarcAnalyzer.Tests.Milter;

/// <summary>
/// A private Postfix on 127.0.0.1 with its own configuration, queue and data folders in a temporary folder,
/// calling our milter (started in-process) for every message and delivering everything through a pipe into
/// one file per message (dd: it writes nothing back to Postfix, which stops reading a command's output early; tee,
/// which did, died of that EPIPE on large messages and Postfix bounced them). Three smtpd listeners: an MX port; a submission port with SMTP AUTH (SASL through a
/// private Dovecot auth service, user <see cref="User"/>); and a port whose {daemon_name} is "submission",
/// which the filter's configuration lists as a submission listener. Subclasses choose the filter's options and
/// authentication checks (none here: forged senders are marked by a header).
/// </summary>
public class PostfixFixture : IAsyncLifetime
{
    private const string Postfix = "/usr/sbin/postfix";
    private const string Dovecot = "/usr/sbin/dovecot";
    public const string ForgedMarker = "X-Test-Forged";
    public const string User = "alice";
    public const string Password = "secret";

    private readonly string _root = Directory.CreateTempSubdirectory("postfix-milter").FullName;
    private readonly CancellationTokenSource _stop = new();
    private MilterServer? _server;
    private Task? _serverRun;
    private Task? _verdictRun;
    private bool _started;
    private Process? _dovecot;

    public int SmtpPort { get; private set; }
    public int SubmissionPort { get; private set; }
    public int SubmissionListenerPort { get; private set; }
    public string OutputFolder => Path.Combine(_root, "out");
    public string DatabasePath => Path.Combine(_root, "dmarc.db");
    private string ConfigFolder => Path.Combine(_root, "conf");
    private string MailLog => Path.Combine(_root, "maillog");

    /// <summary>The folder the fixture deletes at the end; subclasses keep their own files there.</summary>
    protected string Root => _root;

    private protected virtual FilterOptions Options() => new() { SubmissionListeners = ["submission"], ForgedMarkerHeader = ForgedMarker };

    private protected virtual Task<MessageAuthenticator?> AuthenticatorAsync() => Task.FromResult<MessageAuthenticator?>(null);

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Postfix))
            throw new InvalidOperationException($"{Postfix} not found: install the Debian package postfix (test.sh does)");
        if (!File.Exists(Dovecot))
            throw new InvalidOperationException($"{Dovecot} not found: install the Debian package dovecot-core (test.sh installs dovecot-imapd)");

        var options = Options();
        var engine = new FilterEngine(() => options, TimeProvider.System, NullLogger<FilterEngine>.Instance, await AuthenticatorAsync());
        var verdicts = new VerdictLog(ct => Store.OpenAsync(DatabasePath, ct), 1000, 50, NullLogger<VerdictLog>.Instance);
        _verdictRun = verdicts.RunAsync(_stop.Token);
        var handler = new FilterMilterHandler(engine, verdicts, TimeProvider.System, NullLogger<FilterMilterHandler>.Instance);
        _server = new MilterServer(handler, new MilterOptions(), NullLogger<MilterServer>.Instance);
        _server.Start(MilterEndpoint.Parse("inet:127.0.0.1:0"));
        _serverRun = _server.RunAsync(_stop.Token);
        var milterPort = ((IPEndPoint)_server.LocalEndPoint!).Port;

        SmtpPort = FreePort();
        SubmissionPort = FreePort();
        SubmissionListenerPort = FreePort();
        var authPort = FreePort();
        Directory.CreateDirectory(ConfigFolder);
        Directory.CreateDirectory(Path.Combine(_root, "queue"));
        Directory.CreateDirectory(OutputFolder);
        var data = Directory.CreateDirectory(Path.Combine(_root, "data")).FullName;
        // Postfix's daemons run as the unprivileged mail_owner and the pipe as nobody: they must reach these.
        await RunAsync("chmod", ["755", _root]);
        await RunAsync("chmod", ["1777", OutputFolder]);
        await RunAsync("chown", ["postfix", data]);

        await StartDovecotAsync(authPort);
        await File.WriteAllTextAsync(Path.Combine(ConfigFolder, "main.cf"), $"""
            compatibility_level = 3.6
            queue_directory = {_root}/queue
            data_directory = {data}
            mail_owner = postfix
            setgid_group = postdrop
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            myhostname = mx.test.example
            mydestination =
            mynetworks = 127.0.0.0/8
            smtpd_relay_restrictions = permit_mynetworks, reject
            default_transport = capture
            relay_transport = capture
            local_transport = capture
            alias_maps =
            alias_database =
            local_recipient_maps =
            biff = no
            maillog_file_prefixes = {_root}
            maillog_file = {MailLog}
            smtpd_milters = inet:127.0.0.1:{milterPort}
            milter_default_action = tempfail
            milter_protocol = 6
            """);
        await File.WriteAllTextAsync(Path.Combine(ConfigFolder, "master.cf"), $$"""
            127.0.0.1:{{SmtpPort}} inet n - n - - smtpd
            127.0.0.1:{{SubmissionPort}} inet n - n - - smtpd -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=dovecot -o smtpd_sasl_path=inet:127.0.0.1:{{authPort}} -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
            127.0.0.1:{{SubmissionListenerPort}} inet n - n - - smtpd -o milter_macro_daemon_name=submission
            pickup    unix  n - n 60 1 pickup
            cleanup   unix  n - n -  0 cleanup
            qmgr      unix  n - n 300 1 qmgr
            rewrite   unix  - - n -  - trivial-rewrite
            bounce    unix  - - n -  0 bounce
            defer     unix  - - n -  0 bounce
            trace     unix  - - n -  0 bounce
            verify    unix  - - n -  1 verify
            flush     unix  n - n 1000? 0 flush
            proxymap  unix  - - n -  - proxymap
            showq     unix  n - n -  - showq
            error     unix  - - n -  - error
            retry     unix  - - n -  - error
            discard   unix  - - n -  - discard
            anvil     unix  - - n -  1 anvil
            scache    unix  - - n -  1 scache
            postlog   unix-dgram n - n - 1 postlogd
            capture   unix  - n n -  - pipe flags=F user=nobody argv=/usr/bin/dd of={{OutputFolder}}/${queue_id}.eml status=none
            """);
        await RunAsync(Postfix, ["-c", ConfigFolder, "start"]);
        _started = true;
        await WaitForPortAsync(SmtpPort);
        await WaitForPortAsync(SubmissionPort);
        await WaitForPortAsync(SubmissionListenerPort);
    }

    /// <summary>A Dovecot with no mail protocols, only its auth service on a loopback port for Postfix's SASL.</summary>
    private async Task StartDovecotAsync(int port)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "dovecot")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "users"), $"{User}:{{PLAIN}}{Password}\n");
        var config = Path.Combine(folder, "dovecot.conf");
        await File.WriteAllTextAsync(config, $$"""
            base_dir = {{folder}}/run
            state_dir = {{folder}}/state
            log_path = {{folder}}/dovecot.log
            protocols =
            listen = 127.0.0.1
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{folder}}/users
            }
            userdb {
              driver = static
              args = uid=nobody gid=nogroup home=/nonexistent
            }
            service auth {
              inet_listener {
                address = 127.0.0.1
                port = {{port}}
              }
            }
            """);
        var start = new ProcessStartInfo(Dovecot) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-F", "-c", config })
            start.ArgumentList.Add(argument);
        _dovecot = Process.Start(start)!;
        await WaitForPortAsync(port);
    }

    /// <summary>
    /// Waits for a delivered message containing <paramref name="marker"/> and returns it. Postfix's own bounce
    /// (an RFC 3464 report, delivered here too) quotes the message: it is the failure, shown with its reason.
    /// </summary>
    public async Task<string> WaitForDeliveryAsync(string marker, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            // The pipe writes a file as it reads the message: it is whole only once Postfix has logged it as sent.
            var sent = ReadMailLog().Split('\n').Where(l => l.Contains("status=sent", StringComparison.Ordinal)).ToList();
            foreach (var file in Directory.GetFiles(OutputFolder))
            {
                var queueId = Path.GetFileNameWithoutExtension(file);
                if (!sent.Any(l => l.Contains($" {queueId}: to=", StringComparison.Ordinal)))
                    continue;
                var text = await File.ReadAllTextAsync(file, ct);
                if (!text.Contains(marker, StringComparison.Ordinal))
                    continue;
                if (text.Contains("report-type=delivery-status", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"Postfix bounced the message:\n{text[..Math.Min(text.Length, 4000)]}\nmail log:\n{ReadMailLog()}");
                return text;
            }
            await Task.Delay(100, ct);
        }
        throw new TimeoutException($"no delivery containing {marker}; mail log:\n{ReadMailLog()}");
    }

    /// <summary>Waits until the verdict log has stored the verdict on mail from <paramref name="sender"/>.</summary>
    public async Task<IReadOnlyDictionary<string, string?>> WaitForVerdictAsync(string sender, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(DatabasePath))
            {
                await using var db = await Database.OpenAsync(DatabasePath, ct);
                await using var query = db.CreateCommand();
                query.CommandText = "SELECT * FROM verdicts WHERE envelope_from = $sender";
                query.Parameters.AddWithValue("$sender", sender);
                await using var reader = await query.ExecuteReaderAsync(ct);
                if (await reader.ReadAsync(ct))
                    return Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i)));
            }
            await Task.Delay(100, ct);
        }
        throw new TimeoutException($"no verdict for {sender}");
    }

    public string ReadMailLog() => File.Exists(MailLog) ? File.ReadAllText(MailLog) : "(no mail log)";

    public virtual async ValueTask DisposeAsync()
    {
        if (_started)
            await RunAsync(Postfix, ["-c", ConfigFolder, "stop"]);
        if (_dovecot is not null)
        {
            // SIGTERM lets Dovecot's master stop its auth and log processes with it.
            await RunAsync("kill", ["-TERM", _dovecot.Id.ToString()]);
            await _dovecot.WaitForExitAsync();
            _dovecot.Dispose();
        }
        await _stop.CancelAsync();
        if (_serverRun is not null)
            await _serverRun;
        if (_server is not null)
            await _server.DisposeAsync();
        if (_verdictRun is not null)
            await _verdictRun;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
        _stop.Dispose();
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private async Task WaitForPortAsync(int port)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"Postfix did not listen on {port}; mail log:\n{ReadMailLog()}");
    }

    private async Task RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await output}{await error}\n{ReadMailLog()}");
    }
}
