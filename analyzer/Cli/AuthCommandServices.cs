using System.Net;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Cli;

/// <summary>How the command reaches DNS: zone files, offline (zone files only), or a named server.</summary>
internal sealed record DnsChoice(IReadOnlyList<FileInfo> Zones, bool Offline, string? Server);

/// <summary>The SMTP facts SPF is checked against.</summary>
internal sealed record SpfQuery(IPAddress Ip, string? Helo, string? MailFrom);

/// <summary>
/// What the authentication commands need from the DNS and SPF capabilities, which are written elsewhere:
/// the command tree passes the real ones, tests pass fakes.
/// </summary>
internal sealed record AuthCommandServices(
    Func<DnsChoice, IDnsResolver> Resolver,
    Func<SpfQuery, IDnsResolver, CancellationToken, Task<SpfOutcome>> CheckSpf);
