using MaxMind.Db;

namespace DmarcAnalyzer.Analysis.Enrichment;

/// <summary>
/// The fields we read from an ASN database record: GeoLite2-ASN, DB-IP's ASN Lite and IPtoASN's MaxMind-format
/// files all use these two keys.
/// </summary>
internal sealed class AsnData
{
    [Constructor]
    public AsnData(
        [MapKey("autonomous_system_number")] long? number,
        [MapKey("autonomous_system_organization")] string? organization)
    {
        Number = number;
        Organization = organization;
    }

    public long? Number { get; }

    public string? Organization { get; }
}

/// <summary>
/// The fields we read from a country database record: <c>country.iso_code</c> (GeoLite2-Country and -City, DB-IP
/// Country Lite), else <c>registered_country.iso_code</c> (an address whose location is unknown), else a flat
/// <c>country_code</c> (some community builds).
/// </summary>
internal sealed class CountryData
{
    [Constructor]
    public CountryData(
        [MapKey("country")] CountryCode? country,
        [MapKey("registered_country")] CountryCode? registered,
        [MapKey("country_code")] string? flat)
    {
        Code = country?.IsoCode ?? registered?.IsoCode ?? flat;
    }

    public string? Code { get; }
}

internal sealed class CountryCode
{
    [Constructor]
    public CountryCode([MapKey("iso_code")] string? isoCode) => IsoCode = isoCode;

    public string? IsoCode { get; }
}
