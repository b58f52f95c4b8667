using System.Net;
using System.Net.Sockets;

namespace DmarcAnalyzer.Milter;

/// <summary>
/// Where the milter listens, in the MTA's notation: <c>inet:HOST:PORT</c> (Postfix), <c>inet:PORT@HOST</c>
/// (Sendmail), <c>inet6:[ADDR]:PORT</c> or <c>unix:PATH</c> (also <c>local:PATH</c>).
/// </summary>
internal sealed record MilterEndpoint(EndPoint EndPoint)
{
    public bool IsUnix => EndPoint is UnixDomainSocketEndPoint;

    public static MilterEndpoint Parse(string text)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0)
            throw new FormatException($"listen address '{text}' is not inet:HOST:PORT or unix:PATH");
        var scheme = text[..colon].ToLowerInvariant();
        var rest = text[(colon + 1)..];
        if (scheme is "unix" or "local")
        {
            if (rest.Length == 0)
                throw new FormatException("unix: needs a socket path");
            return new MilterEndpoint(new UnixDomainSocketEndPoint(rest));
        }
        if (scheme is not ("inet" or "inet6"))
            throw new FormatException($"unknown listen scheme '{scheme}' (inet, inet6, unix)");
        string host, port;
        var at = rest.IndexOf('@');
        if (at >= 0)
            (port, host) = (rest[..at], rest[(at + 1)..]);
        else
        {
            var last = rest.LastIndexOf(':');
            if (last < 0)
                throw new FormatException($"listen address '{text}' has no port");
            (host, port) = (rest[..last].Trim('[', ']'), rest[(last + 1)..]);
        }
        if (!ushort.TryParse(port, out var number))
            throw new FormatException($"'{port}' is not a port number");
        var address = host.Length == 0 || host == "*" ? IPAddress.Any
            : IPAddress.TryParse(host, out var parsed) ? parsed
            : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : throw new FormatException($"'{host}' is not an IP address");
        return new MilterEndpoint(new IPEndPoint(address, number));
    }

    public override string ToString() => EndPoint switch
    {
        UnixDomainSocketEndPoint unix => $"unix:{unix}",
        IPEndPoint ip => $"inet:{ip}",
        _ => EndPoint.ToString() ?? "",
    };
}
