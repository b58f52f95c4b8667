using System.Net;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>
/// The known senders: the configuration's <c>Analysis:KnownSenders</c> (read only here) and those administrators mark
/// on the dashboard (an address range or a PTR domain under a name), kept in the store and audited. The analysis of
/// every page, the report and the digest use both; where both recognise a source the configuration's name wins.
/// </summary>
internal static partial class KnownSendersPage
{
    public const int MaxName = 100;

    public static void Map(WebApplication app)
    {
        app.MapGet("/senders", async (HttpContext context, ServeOptions options, CancellationToken ct) =>
            await ListAsync(context, options, null, StatusCodes.Status200OK, ct)).RequireAuthorization(DashboardServer.ReadPolicy);

        app.MapPost("/senders", async (HttpContext context, [FromForm] IFormCollection form, ServeOptions options, CancellationToken ct) =>
        {
            var name = form["name"].ToString().Trim();
            var value = form["value"].ToString().Trim();
            if (name.Length is 0 or > MaxName || name.Any(char.IsControl))
                return await ListAsync(context, options, $"Give the sender a name (at most {MaxName} characters).", StatusCodes.Status400BadRequest, ct);
            if (Entry(value) is not { } entry)
                return await ListAsync(context, options,
                    "Give an address (192.0.2.1), a range with its host bits zero (192.0.2.0/24, 2001:db8::/32) or a PTR domain (mail.example.com).",
                    StatusCodes.Status400BadRequest, ct);
            await using var store = await context.OpenStoreAsync(ct);
            if (!await store.KnownSenders.AddAsync(name, entry.Kind, entry.Value, UserName(context.User), options.Time.GetUtcNow(), ct))
                return await ListAsync(context, options, $"{entry.Value} is already marked.", StatusCodes.Status409Conflict, ct);
            return Results.Redirect("/senders");
        }).RequireAuthorization(DashboardServer.AdminPolicy);

        app.MapPost("/senders/{id:long}/remove", async (long id, HttpContext context, [FromForm] IFormCollection form, ServeOptions options, CancellationToken ct) =>
        {
            await using var store = await context.OpenStoreAsync(ct);
            if (!await store.KnownSenders.RemoveAsync(id, UserName(context.User), options.Time.GetUtcNow(), ct))
                return await ListAsync(context, options, "That entry is not there any more.", StatusCodes.Status409Conflict, ct);
            return Results.Redirect("/senders");
        }).RequireAuthorization(DashboardServer.AdminPolicy);
    }

    /// <summary>The source page's buttons for an administrator: mark this address, or the base domain of its name.</summary>
    public static string MarkForm(HttpContext context, string ip, string? ptrDomain) =>
        "<h3>Mark as a known sender</h3>" +
        Form(context, "/senders",
            "<label>Name <input name=\"name\" required maxlength=\"100\" placeholder=\"our relays\"></label>" +
            $"<label>Address, range or PTR domain <input name=\"value\" required value=\"{E(ip)}\"></label>" +
            "<button type=\"submit\">Mark</button>", "inline") +
        (ptrDomain is null ? "" : $"<p class=\"muted\">Or mark its names: give {E(ptrDomain)} as the PTR domain.</p>");

    private static async Task<IResult> ListAsync(HttpContext context, ServeOptions options, string? error, int status, CancellationToken ct)
    {
        await using var store = await context.OpenStoreAsync(ct);
        var stored = await store.KnownSenders.ListAsync(ct);
        var admin = IsAdmin(context);
        var configured = options.KnownSenders;
        var body = (error is null ? "" : $"<p class=\"error\" role=\"alert\">{E(error)}</p>") +
            "<p>A known sender is one of yours: mail from it that fails DMARC is a configuration to fix, not spoofing. " +
            "Those in the configuration (<code>Analysis:KnownSenders</code>) come first: <strong>where one of them and one marked here both " +
            "recognise a source, the configuration wins</strong> and its name is shown. They are changed in the configuration file, not here.</p>" +
            "<section><h2>Marked on the dashboard</h2>" +
            Table(["Name", "Range or PTR domain", "Marked by", "When (UTC)", "Note", ""], stored.Select(r => new[]
            {
                E(r.Name), $"{(r.Kind == KnownSenderKind.Range ? "range" : "PTR domain")} <code>{E(r.Value)}</code>", E(r.AddedBy), Time(r.Added),
                Conflict(configured, r) is { } winner ? $"the configuration's {E(winner)} wins" : "",
                admin ? Form(context, $"/senders/{r.Id}/remove", "<button type=\"submit\" class=\"danger\">Remove</button>", "inline") : "",
            })) + "</section>" +
            "<section><h2>In the configuration</h2>" +
            Table(["Name", "Ranges", "PTR domains"], configured.Senders.Select(s => new[]
            {
                E(s.Name), E(string.Join(", ", s.Ranges)), E(string.Join(", ", s.PtrDomains)),
            })) + "</section>";
        if (admin)
            body += "<section><h2>Mark a known sender</h2>" + Form(context, "/senders",
                $"<label>Name <input name=\"name\" required maxlength=\"{MaxName}\" placeholder=\"our relays\"></label>" +
                "<label>Address, range or PTR domain <input name=\"value\" required placeholder=\"192.0.2.0/24 or mail.example.com\"></label>" +
                "<button type=\"submit\">Mark</button>", "stack") + "</section>";
        return Page(context, "Known senders", body, status);
    }

    /// <summary>The configured sender that recognises what this entry names first, if any.</summary>
    private static string? Conflict(KnownSenders configured, KnownSenderRow row) => row.Kind == KnownSenderKind.Range
        ? configured.Match(IPNetwork.Parse(row.Value).BaseAddress, null)?.Name
        : configured.Match(null, row.Value)?.Name;

    /// <summary>An address (as a /32 or /128), a CIDR range with its host bits zero, or a domain name, normalised.</summary>
    private static (KnownSenderKind Kind, string Value)? Entry(string text)
    {
        if (text.Length is 0 or > 254)
            return null;
        // IPAddress.Parse takes "192.0.2" and "3232235521" for IPv4 addresses: only a dotted quad or IPv6 is taken as one.
        var slash = text.IndexOf('/');
        var addressPart = slash < 0 ? text : text[..slash];
        var isAddress = addressPart.Contains(':') || (addressPart.Count(c => c == '.') == 3 && addressPart.All(c => char.IsAsciiDigit(c) || c == '.'));
        if (!isAddress)
            return slash < 0 ? DomainEntry(text) : null;
        if (slash >= 0)
            return IPNetwork.TryParse(text, out var network) && IPAddress.TryParse(addressPart, out var first) && first.Equals(network.BaseAddress)
                ? (KnownSenderKind.Range, network.ToString())
                : null;
        if (!IPAddress.TryParse(text, out var address))
            return null;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        return (KnownSenderKind.Range, new IPNetwork(address, address.GetAddressBytes().Length * 8).ToString());
    }

    private static (KnownSenderKind Kind, string Value)? DomainEntry(string text)
    {
        var domain = text.TrimEnd('.').ToLowerInvariant();
        // A name whose last label is all digits is an address written short, not a domain (RFC 3696 section 2).
        return Domain().IsMatch(domain) && !domain[(domain.LastIndexOf('.') + 1)..].All(char.IsAsciiDigit) ? (KnownSenderKind.PtrDomain, domain) : null;
    }

    [GeneratedRegex(@"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")]
    private static partial Regex Domain();
}
