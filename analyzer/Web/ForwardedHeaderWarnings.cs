using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Web;

/// <summary>
/// Says once in the log when a reverse proxy is set up so that sign-in cookies go out without Secure: forwarded
/// headers from a peer not in <c>Serve:KnownProxies</c> (ignored, so the cookies follow the plain connection), or a
/// listed proxy that sends no <c>X-Forwarded-Proto</c> (nginx and Apache do not by default).
/// </summary>
internal sealed class ForwardedHeaderWarnings(ServeOptions options, ILogger<ForwardedHeaderWarnings> log)
{
    private int _unlistedWarned;
    private int _noProtoWarned;

    public void Check(HttpContext context)
    {
        if (options.SecureCookies || context.Request.IsHttps || context.Connection.RemoteIpAddress is not { } peer)
            return;
        var headers = context.Request.Headers;
        var forwarded = headers.ContainsKey("X-Forwarded-Proto") || headers.ContainsKey("X-Forwarded-For");
        if (!options.IsKnownProxy(peer))
        {
            if (forwarded && Interlocked.Exchange(ref _unlistedWarned, 1) == 0)
                log.LogWarning("A request from {Peer} carried X-Forwarded-* headers, which are believed only from the addresses in " +
                    "Serve:KnownProxies: sign-in cookies follow that plain-HTTP connection and are not marked Secure. If {Peer} is " +
                    "your TLS proxy, list it there.", peer, peer);
        }
        else if (!headers.ContainsKey("X-Forwarded-Proto") && Interlocked.Exchange(ref _noProtoWarned, 1) == 0)
            log.LogWarning("The proxy {Peer} sent no X-Forwarded-Proto, so the request counts as plain HTTP and sign-in cookies are " +
                "not marked Secure. Have it send the header (nginx: proxy_set_header X-Forwarded-Proto $scheme;) or set " +
                "Serve:SecureCookies to true.", peer);
    }
}
