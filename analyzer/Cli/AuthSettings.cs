using DmarcAnalyzer.Auth.Dmarc;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// Configuration the authentication commands share: <c>Auth:AuthservId</c> (default: the host name),
/// <c>Dmarc:Discovery</c> (<c>treewalk</c>, the default, or <c>psl</c>) and <c>Dmarc:PublicSuffixList</c>
/// (default: Debian's <see cref="PublicSuffixList.DebianPath"/>).
/// </summary>
internal sealed record AuthSettings(string AuthservId, DmarcDiscoveryMode Discovery, string PublicSuffixListPath)
{
    public static AuthSettings From(IConfiguration config)
    {
        var discovery = (config["Dmarc:Discovery"] ?? "treewalk").ToLowerInvariant() switch
        {
            "treewalk" => DmarcDiscoveryMode.TreeWalk,
            "psl" => DmarcDiscoveryMode.PublicSuffixList,
            var other => throw new UsageException($"Dmarc:Discovery is '{other}', not treewalk or psl"),
        };
        return new AuthSettings(
            config["Auth:AuthservId"] ?? Environment.MachineName.ToLowerInvariant(),
            discovery,
            config["Dmarc:PublicSuffixList"] ?? PublicSuffixList.DebianPath);
    }
}
