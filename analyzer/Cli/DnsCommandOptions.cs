using System.CommandLine;
using DmarcAnalyzer.Dns;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>--dns</c>, <c>--zone</c> and <c>--offline</c>, for every command that asks DNS. Made fresh per command;
/// <see cref="Read"/> merges them with the configuration's <c>Dns</c> section and <c>/etc/resolv.conf</c>.
/// </summary>
internal sealed class DnsCommandOptions
{
    public Option<string[]> Servers { get; } = new("--dns")
    {
        Description = "DNS server HOST[:PORT] to ask (repeatable; default: Dns:Servers in the configuration, else /etc/resolv.conf)",
    };

    public Option<string[]> Zones { get; } = new("--zone")
    {
        Description = "Zone file [ORIGIN=]FILE whose records answer before the network (repeatable; added to Dns:Zones)",
    };

    public Option<bool> Offline { get; } = new("--offline")
    {
        Description = "Ask no network: names the zone files lack do not exist",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Servers);
        command.Options.Add(Zones);
        command.Options.Add(Offline);
    }

    /// <summary>The options in force; a server that is not an address is a usage error.</summary>
    public DnsOptions Read(ParseResult result, IConfiguration config)
    {
        var system = DnsOptions.FromResolvConf();
        var servers = result.GetValue(Servers) is { Length: > 0 } given
            ? given
            : config.GetSection("Dns:Servers").GetChildren().Select(c => c.Value).OfType<string>().ToArray();
        var endPoints = system.Servers;
        if (servers.Length > 0)
        {
            try
            {
                endPoints = servers.Select(DnsOptions.ParseServer).ToList();
            }
            catch (FormatException e)
            {
                throw new UsageException($"--dns: {e.Message}");
            }
        }
        var zones = config.GetSection("Dns:Zones").GetChildren().Select(c => c.Value).OfType<string>()
            .Concat(result.GetValue(Zones) ?? []).ToList();
        var offline = result.GetValue(Offline) || string.Equals(config["Dns:Offline"], "true", StringComparison.OrdinalIgnoreCase);
        var timeout = double.TryParse(config["Dns:TimeoutSeconds"], System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(Math.Min(seconds, 60))
            : system.Timeout;
        var retries = int.TryParse(config["Dns:Retries"], out var r) && r >= 0 ? Math.Min(r, 5) : system.Retries;
        return new DnsOptions(endPoints, zones, offline, timeout, retries);
    }

    /// <summary>The resolver for these options; a zone file that cannot be read is reported as bad usage.</summary>
    public async Task<DnsResolver> CreateResolverAsync(ParseResult result, IConfiguration config, CancellationToken ct)
    {
        try
        {
            return await DnsResolverFactory.CreateAsync(Read(result, config), ct);
        }
        catch (ZoneFileException e)
        {
            throw new UsageException($"zone file: {e.Message}");
        }
    }
}
