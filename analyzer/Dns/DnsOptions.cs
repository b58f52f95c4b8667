using System.Net;

namespace DmarcAnalyzer.Dns;

/// <summary>How to reach DNS: servers, local zone files (<c>[ORIGIN=]PATH</c>), offline mode, patience.</summary>
internal sealed record DnsOptions(IReadOnlyList<IPEndPoint> Servers, IReadOnlyList<string> ZoneFiles, bool Offline, TimeSpan Timeout, int Retries)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);
    public const int DefaultRetries = 2;

    /// <summary>The servers of <c>/etc/resolv.conf</c> (resolv.conf(5): <c>nameserver</c>, <c>options timeout: attempts:</c>).</summary>
    public static DnsOptions FromResolvConf(string path = "/etc/resolv.conf")
    {
        var servers = new List<IPEndPoint>();
        var timeout = DefaultTimeout;
        var retries = DefaultRetries;
        if (File.Exists(path))
        {
            foreach (var raw in File.ReadLines(path).Take(1000))
            {
                var fields = raw.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 2 || fields[0].StartsWith('#') || fields[0].StartsWith(';'))
                    continue;
                if (fields[0] == "nameserver" && IPAddress.TryParse(fields[1].Split('%')[0], out var address))
                    servers.Add(new IPEndPoint(address, 53));
                else if (fields[0] == "options")
                {
                    foreach (var option in fields.Skip(1))
                    {
                        if (option.StartsWith("timeout:") && int.TryParse(option[8..], out var seconds) && seconds > 0)
                            timeout = TimeSpan.FromSeconds(Math.Min(seconds, 30));
                        else if (option.StartsWith("attempts:") && int.TryParse(option[9..], out var attempts) && attempts > 0)
                            retries = Math.Min(attempts, 5) - 1;
                    }
                }
            }
        }
        // resolv.conf(5): with no nameserver line the local machine's server is used.
        if (servers.Count == 0)
            servers.Add(new IPEndPoint(IPAddress.Loopback, 53));
        return new DnsOptions(servers.Take(3).ToList(), [], false, timeout, retries);
    }

    /// <summary>Parses <c>HOST[:PORT]</c> or <c>[IPV6]:PORT</c>; the host must be an address (we have no resolver yet).</summary>
    public static IPEndPoint ParseServer(string text)
    {
        if (IPEndPoint.TryParse(text, out var endPoint))
            return endPoint.Port == 0 ? new IPEndPoint(endPoint.Address, 53) : endPoint;
        throw new FormatException($"'{text}' is not an IP address with an optional :port");
    }
}
