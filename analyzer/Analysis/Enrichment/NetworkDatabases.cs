using System.Net;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Analysis.Enrichment;

/// <summary>
/// The configured network databases, <c>Enrichment:AsnDatabase</c> and <c>Enrichment:CountryDatabase</c>, either or
/// both or neither. Neither: every answer is empty and nothing is read or written.
/// </summary>
internal sealed class NetworkDatabases(NetworkDatabase? asn, NetworkDatabase? country) : IDisposable
{
    public const string AsnSetting = "Enrichment:AsnDatabase";
    public const string CountrySetting = "Enrichment:CountryDatabase";

    public static NetworkDatabases None { get; } = new(null, null);

    public NetworkDatabase? AsnDatabase { get; } = asn;

    public NetworkDatabase? CountryDatabase { get; } = country;

    public bool Any => AsnDatabase is not null || CountryDatabase is not null;

    /// <summary>Names the builds that answer, for the store's cache.</summary>
    public string Stamp => $"asn={AsnDatabase?.Stamp};country={CountryDatabase?.Stamp}";

    public static NetworkDatabases FromConfiguration(IConfiguration configuration)
    {
        var asnPath = Path(configuration, AsnSetting);
        var countryPath = Path(configuration, CountrySetting);
        var asn = asnPath is null ? null : NetworkDatabase.Open(AsnSetting, asnPath);
        try
        {
            return new NetworkDatabases(asn, countryPath is null ? null : NetworkDatabase.Open(CountrySetting, countryPath));
        }
        catch
        {
            asn?.Dispose();
            throw;
        }
    }

    private static string? Path(IConfiguration configuration, string key) =>
        configuration[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    public NetworkFacts Look(string ip)
    {
        if (!Any || !IPAddress.TryParse(ip, out var address))
            return NetworkFacts.None;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        var asn = AsnDatabase?.Asn(address);
        var country = CountryDatabase?.Country(address);
        // AS number 0 is reserved for "not routed" (RFC 7607): no network.
        return new NetworkFacts(asn?.Number is > 0 and var number ? number : null, Clean(asn?.Organization), Clean(country?.Code)?.ToUpperInvariant());
    }

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    public void Dispose()
    {
        AsnDatabase?.Dispose();
        CountryDatabase?.Dispose();
    }
}
