using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DmarcAnalyzer.Imap;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Imap;

/// <summary>
/// A private Dovecot on 127.0.0.1: its own configuration, user database, Maildir store and TLS certificate (signed
/// by a CA made here) in a temporary folder, on free ports for IMAP (STARTTLS) and IMAPS. Dovecot refuses to run
/// its login processes or mail access as root, so logins run as Debian's dovenull/dovecot users (the package
/// creates them) and mail as uid 65534, in a world-writable mail folder.
/// </summary>
public class DovecotServer : IAsyncLifetime
{
    private const string Binary = "/usr/sbin/dovecot";
    private const int MailUid = 65534;
    private const int UserCount = 64;

    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("dmarc-dovecot-");
    private int users;

    public string Host => "127.0.0.1";
    public int ImapPort { get; private set; }
    public int ImapsPort { get; private set; }
    public X509Certificate2Collection Ca { get; } = [];
    public string Password => "s3cret pass";

    protected string Root => root.FullName;

    private string ConfigPath => Path.Combine(root.FullName, "dovecot.conf");
    private string UsersPath => Path.Combine(root.FullName, "users");
    public string LogPath => Path.Combine(root.FullName, "dovecot.log");

    /// <summary>Settings appended to the configuration (a subclass's variant).</summary>
    protected virtual string ExtraConfiguration => "";

    /// <summary>The <c>auth_mechanisms</c> Dovecot offers.</summary>
    protected virtual string AuthMechanisms => "plain login";

    /// <summary>A <c>passdb</c> block tried after the passwd-file one (a subclass's variant).</summary>
    protected virtual string ExtraPassdb => "";

    internal ImapServer Endpoint(ImapTls tls) =>
        new(Host, tls == ImapTls.Implicit ? ImapsPort : ImapPort, tls, Ca);

    /// <summary>A user's mailbox as the poller sees it, logging in with the fixture's password.</summary>
    internal RuaMailbox Mailbox(string user, ImapTls tls = ImapTls.Implicit) =>
        new(user, Endpoint(tls), user, new PasswordCredentials(Password));

    public virtual async ValueTask InitializeAsync()
    {
        if (!File.Exists(Binary))
            Assert.Fail($"{Binary} not found: install the Debian package dovecot-imapd (test.sh does)");
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("the Dovecot fixture runs on Linux");
        if (Environment.UserName != "root")
            Assert.Fail("the Dovecot fixture runs as root (as test.sh and CI do): Dovecot switches to its own users");
        File.SetUnixFileMode(root.FullName, (UnixFileMode)0b111_101_101);
        var mail = Directory.CreateDirectory(Path.Combine(root.FullName, "mail"));
        File.SetUnixFileMode(mail.FullName, (UnixFileMode)0b1_111_111_111);
        await File.WriteAllLinesAsync(UsersPath, Enumerable.Range(1, UserCount).Select(n =>
            $"user{n}:{{PLAIN}}{Password}:{MailUid}:{MailUid}::{Path.Combine(mail.FullName, "user" + n)}::"));
        WriteCertificates();
        ImapPort = FreePort();
        ImapsPort = FreePort();
        await File.WriteAllTextAsync(ConfigPath, Configuration());
        await StartAsync();
    }

    /// <summary>
    /// A mailbox user of its own, so tests sharing this server do not see each other's mail. All users are written
    /// before Dovecot starts: it notices changes to the passwd-file by mtime, too coarse for users added mid-test.
    /// </summary>
    public string NewUser()
    {
        var n = Interlocked.Increment(ref users);
        if (n > UserCount)
            throw new InvalidOperationException($"the fixture has {UserCount} users");
        return "user" + n;
    }

    /// <summary>A MailKit client logged in as <paramref name="user"/>, to fill or inspect a mailbox.</summary>
    internal Task<MailboxClient> LoginAsync(string user, ImapTls tls = ImapTls.Implicit) =>
        MailboxClient.ConnectAsync(Mailbox(user, tls), ImapLimits.Default, NullLogger.Instance, TestContext.Current.CancellationToken);

    public async Task StartAsync()
    {
        await RunDovecotAsync("-c", ConfigPath);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, ImapPort);
                var buffer = new byte[512];
                var n = await probe.GetStream().ReadAsync(buffer);
                if (Encoding.ASCII.GetString(buffer, 0, n).StartsWith("* OK", StringComparison.Ordinal))
                    return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                // Still starting.
            }
            catch (SocketException)
            {
                Assert.Fail("Dovecot did not start listening: " + await LogTailAsync());
            }
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Stops Dovecot (SIGTERM through <c>dovecot stop</c>) and waits for its master to exit. Its imap processes
    /// outlive the master while their clients stay connected, so they are killed too: the server is really gone.
    /// </summary>
    public async Task StopAsync()
    {
        var pidFile = Path.Combine(root.FullName, "run", "master.pid");
        if (!File.Exists(pidFile))
            return;
        var master = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var children = Descendants(master);
        await RunDovecotAsync("-c", ConfigPath, "stop");
        for (var i = 0; i < 300 && ProcessAlive(master); i++)
            await Task.Delay(100);
        foreach (var pid in children.Where(ProcessAlive))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }
    }

    /// <summary>Processes below <paramref name="root"/>, from the parent pid field of /proc/PID/stat.</summary>
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
        }
        var found = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.TryDequeue(out var parent))
        {
            foreach (var (pid, _) in parents.Where(p => p.Value == parent))
            {
                found.Add(pid);
                queue.Enqueue(pid);
            }
        }
        return found;
    }

    public virtual async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            root.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A straggling Dovecot child still writing: the temporary folder is left behind.
        }
        GC.SuppressFinalize(this);
    }

    public async Task<string> LogTailAsync() =>
        File.Exists(LogPath) ? string.Join('\n', (await File.ReadAllLinesAsync(LogPath)).TakeLast(20)) : "(no log)";

    private static bool ProcessAlive(int pid)
    {
        try
        {
            return !Process.GetProcessById(pid).HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private async Task RunDovecotAsync(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(Binary, arguments)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        // The daemon it forks keeps the pipes open: read them only when dovecot failed (and so forked nothing).
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            Assert.Fail($"dovecot {string.Join(' ', arguments)} failed ({process.ExitCode}): {await process.StandardError.ReadToEndAsync()}\n{await LogTailAsync()}");
    }

    private string Configuration()
    {
        var dir = root.FullName;
        return $$"""
            base_dir = {{dir}}/run
            state_dir = {{dir}}/state
            log_path = {{dir}}/dovecot.log
            protocols = imap
            listen = 127.0.0.1
            ssl = yes
            ssl_cert = <{{dir}}/server.pem
            ssl_key = <{{dir}}/server.key
            disable_plaintext_auth = no
            auth_mechanisms = {{AuthMechanisms}}
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{dir}}/users
            }
            {{ExtraPassdb}}
            userdb {
              driver = passwd-file
              args = username_format=%u {{dir}}/users
            }
            mail_location = maildir:~/Maildir
            service auth {
              user = root
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{ImapPort}}
              }
              inet_listener imaps {
                address = 127.0.0.1
                port = {{ImapsPort}}
                ssl = yes
              }
            }
            {{ExtraConfiguration}}
            """;
    }

    /// <summary>
    /// A CA and a server certificate for 127.0.0.1 alone signed by it, valid for two days: "localhost" reaches the
    /// server but is not its name.
    /// </summary>
    private void WriteCertificates()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=DmarcAnalyzer test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=DmarcAnalyzer test IMAP server", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var server = request.Create(ca, now.AddDays(-1), now.AddDays(2), RandomNumberGenerator.GetBytes(16));

        File.WriteAllText(Path.Combine(root.FullName, "server.pem"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(root.FullName, "server.key"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(CaPath, ca.ExportCertificatePem());
        Ca.Add(X509CertificateLoader.LoadCertificate(ca.RawData));
    }

    /// <summary>Where Dovecot keeps a user's mail (mail_location = maildir:~/Maildir).</summary>
    public string MaildirOf(string user) => Path.Combine(root.FullName, "mail", user, "Maildir");

    public string CaPath => Path.Combine(root.FullName, "ca.pem");

    internal static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>Dovecot announcing neither MOVE nor LITERAL+ after login: the COPY, STORE, UID EXPUNGE path.</summary>
public sealed class DovecotWithoutMove : DovecotServer
{
    protected override string ExtraConfiguration => "imap_capability = IMAP4rev1 SASL-IR IDLE UIDPLUS NAMESPACE";
}
