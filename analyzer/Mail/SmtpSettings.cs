using System.Net;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Mail;

/// <summary>How the relay is reached: implicit TLS (port 465), STARTTLS (587, 25), or none, which only a loopback relay may use.</summary>
internal enum SmtpTls { Implicit, StartTls, None }

/// <summary>
/// The <c>Smtp</c> configuration section: <c>Host</c>, <c>Port</c>, <c>Tls</c>, optional <c>User</c> with
/// <c>PasswordFile</c> (the password never sits in configuration or argv), and <c>From</c>.
/// </summary>
internal sealed record SmtpSettings(string Host, int Port, SmtpTls Tls, string From, string? User = null, string? PasswordFile = null)
{
    public static SmtpSettings FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Smtp");
        var host = section["Host"] ?? throw new InvalidOperationException("Smtp:Host is not configured");
        var from = section["From"] ?? throw new InvalidOperationException("Smtp:From is not configured");
        var tls = section["Tls"] is { } value
            ? Enum.TryParse<SmtpTls>(value, ignoreCase: true, out var parsed) ? parsed
                : throw new InvalidOperationException($"Smtp:Tls must be implicit, starttls or none, not '{value}'")
            : SmtpTls.StartTls;
        var port = section["Port"] is { } text
            ? int.TryParse(text, out var number) && number is > 0 and < 65536 ? number
                : throw new InvalidOperationException($"Smtp:Port must be a port number, not '{text}'")
            : tls == SmtpTls.Implicit ? 465 : 587;
        var settings = new SmtpSettings(host, port, tls, from, section["User"], section["PasswordFile"]);
        settings.Validate();
        return settings;
    }

    /// <summary>Refuses plain text to anything but loopback (the mail and the password would cross the network in clear).</summary>
    public void Validate()
    {
        if (Tls == SmtpTls.None && !IsLoopback(Host))
            throw new InvalidOperationException($"Smtp:Tls none is allowed only for a loopback relay, not {Host}");
        if (User is not null && PasswordFile is null)
            throw new InvalidOperationException("Smtp:User needs Smtp:PasswordFile");
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}
