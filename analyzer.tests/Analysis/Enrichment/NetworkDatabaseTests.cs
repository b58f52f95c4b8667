using DmarcAnalyzer.Analysis.Enrichment;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Tests.Analysis.Enrichment;

public sealed class NetworkDatabaseTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    internal static async Task<NetworkDatabases> OpenAsync(TempFolder folder)
    {
        await TestMmdb.WriteAsnAsync(folder.File("asn.mmdb"),
            ("198.51.100.0/24", 64500, "Example Mail Co"),
            ("203.0.113.0/25", 64501, "Example Hosting"),
            ("2001:db8:1::/48", 64502, "Example Six"));
        await TestMmdb.WriteCountryAsync(folder.File("country.mmdb"),
            ("198.51.100.0/24", "de"),
            ("203.0.113.0/24", "NL"),
            ("2001:db8::/32", "SE"));
        return NetworkDatabases.FromConfiguration(Configuration(folder.File("asn.mmdb"), folder.File("country.mmdb")));
    }

    internal static IConfiguration Configuration(string? asn, string? country) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [NetworkDatabases.AsnSetting] = asn, [NetworkDatabases.CountrySetting] = country })
        .Build();

    [Fact]
    public async Task AddressesAreLookedUpInBothDatabases()
    {
        using var databases = await OpenAsync(_folder);

        Assert.Equal(new NetworkFacts(64500, "Example Mail Co", "DE"), databases.Look("198.51.100.7"));
        Assert.Equal(new NetworkFacts(64500, "Example Mail Co", "DE"), databases.Look("::ffff:198.51.100.7"));
        Assert.Equal(new NetworkFacts(null, null, "NL"), databases.Look("203.0.113.200"));
        Assert.Equal(new NetworkFacts(64502, "Example Six", "SE"), databases.Look("2001:db8:1::25"));
        Assert.Equal(NetworkFacts.None, databases.Look("192.0.2.1"));
        Assert.Equal(NetworkFacts.None, databases.Look("not an address"));
    }

    [Fact]
    public async Task CheckDescribesEachDatabase()
    {
        using var databases = await OpenAsync(_folder);

        var asn = databases.AsnDatabase!.Describe(TestContext.Current.CancellationToken);

        Assert.Equal(TestMmdb.Asn, asn.Type);
        Assert.Equal(6, asn.IpVersion);
        Assert.Equal(3, asn.Networks);
        Assert.True(asn.BuildUtc > new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
    }

    [Fact]
    public void NoDatabaseConfiguredAnswersNothing()
    {
        using var databases = NetworkDatabases.FromConfiguration(Configuration(null, " "));

        Assert.False(databases.Any);
        Assert.Equal(NetworkFacts.None, databases.Look("198.51.100.7"));
    }

    [Fact]
    public void AMissingOrForeignFileIsAClearError()
    {
        var notMmdb = _folder.File("asn.csv");
        File.WriteAllText(notMmdb, "198.51.100.0/24,64500,Example\n");

        var missing = Assert.Throws<EnrichmentException>(() => NetworkDatabases.FromConfiguration(Configuration(_folder.File("none.mmdb"), null)));
        var foreign = Assert.Throws<EnrichmentException>(() => NetworkDatabases.FromConfiguration(Configuration(null, notMmdb)));

        Assert.Contains("Enrichment:AsnDatabase: file not found", missing.Message);
        Assert.Contains("Enrichment:CountryDatabase:", foreign.Message);
        Assert.Contains("is not a readable MaxMind DB file", foreign.Message);
    }
}
