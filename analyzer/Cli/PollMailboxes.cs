using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DmarcAnalyzer.Imap;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// One mailbox's settings as configured, every field optional: an <c>Imap:Mailboxes</c> entry or the <c>Imap</c> section
/// itself, the command line's options among them. Never a password, only where to find it.
/// </summary>
internal sealed record MailboxSettings(
    string? Name = null, string? Host = null, string? Port = null, string? Tls = null, string? User = null,
    string? PasswordFile = null, string? Auth = null, string? TokenFile = null, string? TokenCommand = null,
    string? Folder = null, string? ArchiveFolder = null, string? FailedFolder = null, string? CaFile = null)
{
    public static MailboxSettings From(IConfiguration section) => new(
        section["Name"], section["Host"], section["Port"], section["Tls"], section["User"], section["PasswordFile"],
        section["Auth"], section["TokenFile"], section["TokenCommand"], section["Folder"], section["ArchiveFolder"],
        section["FailedFolder"], section["CaFile"]);

    /// <summary>These settings, with <paramref name="fallback"/>'s where these have none.</summary>
    public MailboxSettings Over(MailboxSettings fallback) => new(
        Name ?? fallback.Name, Host ?? fallback.Host, Port ?? fallback.Port, Tls ?? fallback.Tls, User ?? fallback.User,
        PasswordFile ?? fallback.PasswordFile, Auth ?? fallback.Auth, TokenFile ?? fallback.TokenFile,
        TokenCommand ?? fallback.TokenCommand, Folder ?? fallback.Folder, ArchiveFolder ?? fallback.ArchiveFolder,
        FailedFolder ?? fallback.FailedFolder, CaFile ?? fallback.CaFile);
}

/// <summary>
/// The mailboxes <c>dmarc poll</c> serves. Without <c>Imap:Mailboxes</c>: one, from the <c>Imap</c> section, the
/// command line over it (the password from the file or <c>$DMARC_IMAP_PASSWORD</c>). With it: every entry, each over the
/// <c>Imap</c> section's keys as defaults (its password from its file or <c>$DMARC_IMAP_PASSWORD_NAME</c>); or, with
/// <c>--mailbox NAME</c>, that entry alone, the command line over it.
/// </summary>
internal static class PollMailboxes
{
    public const string PasswordVariable = "DMARC_IMAP_PASSWORD";

    /// <summary>The key of the <c>Imap:Mailboxes</c> entry named <paramref name="name"/>, or null.</summary>
    public static string? KeyOf(IConfigurationSection imap, string name) =>
        imap.GetSection("Mailboxes").GetChildren().FirstOrDefault(e => string.Equals(e["Name"], name, StringComparison.OrdinalIgnoreCase))?.Key;

    /// <param name="imap">The <c>Imap</c> section, the command line's options already in it (<see cref="CommandConfiguration"/>).</param>
    /// <param name="pick">--mailbox: the one entry of Imap:Mailboxes to serve.</param>
    /// <param name="commandLineGiven">Whether mailbox options were given on the command line.</param>
    public static IReadOnlyList<RuaMailbox> Resolve(IConfigurationSection imap, string? pick, bool commandLineGiven)
    {
        var defaults = MailboxSettings.From(imap);
        var entries = imap.GetSection("Mailboxes").GetChildren().ToList();
        if (entries.Count == 0)
        {
            if (pick is not null)
                throw new UsageException($"--mailbox {pick}: the configuration lists no Imap:Mailboxes");
            return [Build(defaults, listed: false)];
        }
        var listed = entries.Select(entry => MailboxSettings.From(entry).Over(defaults with { Name = null }) is { Name: { } } settings
            ? settings
            : throw new UsageException($"Imap:Mailboxes:{entry.Key} has no Name")).ToList();
        if (listed.GroupBy(m => m.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UsageException($"Imap:Mailboxes names {twice.Key} twice");
        if (pick is null)
        {
            if (commandLineGiven)
                throw new UsageException("the configuration lists Imap:Mailboxes: pick one with --mailbox NAME to change its settings on the command line");
            return [.. listed.Select(m => Build(m, listed: true))];
        }
        var chosen = listed.FirstOrDefault(m => string.Equals(m.Name, pick, StringComparison.OrdinalIgnoreCase))
                     ?? throw new UsageException($"no mailbox {pick} in Imap:Mailboxes (there are {string.Join(", ", listed.Select(m => m.Name))})");
        return [Build(chosen, listed: true)];
    }

    private static RuaMailbox Build(MailboxSettings s, bool listed)
    {
        var host = s.Host ?? throw new UsageException("no IMAP server: give --host or Imap:Host");
        var user = s.User ?? throw new UsageException("no IMAP user: give --user or Imap:User");
        var name = s.Name ?? $"{user}@{host}";
        var server = Server(host, s.Port is { } p ? ParsePort(p) : null, s.Tls ?? "implicit", s.CaFile);
        return new RuaMailbox(name, server, user, Credentials(s, listed ? PasswordVariable + "_" + VariableName(name) : PasswordVariable),
            s.Folder ?? "INBOX", s.ArchiveFolder ?? "DMARC/Processed", s.FailedFolder ?? "DMARC/Failed");
    }

    /// <summary>A mailbox name as an environment variable's suffix: upper case, anything but letters and digits as <c>_</c>.</summary>
    private static string VariableName(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name.ToUpperInvariant())
            text.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        return text.ToString();
    }

    private static MailboxCredentials Credentials(MailboxSettings s, string passwordVariable)
    {
        var hasToken = s.TokenFile is not null || s.TokenCommand is not null;
        switch (s.Auth?.ToLowerInvariant() ?? (hasToken ? "oauth2" : "password"))
        {
            case "password":
                if (hasToken)
                    throw new UsageException("--token-file and --token-command go with --auth oauth2");
                return new PasswordCredentials(Password(s.PasswordFile, passwordVariable));
            case "oauth2":
                if (s.TokenFile is not null && s.TokenCommand is not null)
                    throw new UsageException("give --token-file or --token-command, not both");
                if (s.TokenFile is { } file)
                {
                    if (!File.Exists(file))
                        throw new UsageException($"token file not found: {file}");
                    return new OAuth2Credentials(new AccessTokenFile(Path.GetFullPath(file)));
                }
                if (s.TokenCommand is { } command)
                {
                    try
                    {
                        AccessTokenCommand.Split(command);
                    }
                    catch (FormatException e)
                    {
                        throw new UsageException(e.Message);
                    }
                    return new OAuth2Credentials(new AccessTokenCommand(command, AccessTokenCommand.DefaultTimeout));
                }
                throw new UsageException("--auth oauth2 needs --token-file or --token-command (Imap:TokenFile, Imap:TokenCommand)");
            default:
                throw new UsageException($"--auth must be password or oauth2, not {s.Auth}");
        }
    }

    private static string Password(string? file, string variable)
    {
        if (file is not null)
        {
            if (!File.Exists(file))
                throw new UsageException($"password file not found: {file}");
            // One line; a trailing newline from an editor or echo is not part of the password.
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        return Environment.GetEnvironmentVariable(variable)
               ?? throw new UsageException($"no IMAP password: give --password-file or set {variable}");
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
}
