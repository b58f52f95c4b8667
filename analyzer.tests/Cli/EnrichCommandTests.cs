using System.Text.Json;
using DmarcAnalyzer.Tests.Analysis.Enrichment;

namespace DmarcAnalyzer.Tests.Cli;

public sealed class EnrichCommandTests : IDisposable
{
    private const string Report = """
        <?xml version="1.0"?>
        <feedback>
          <report_metadata><org_name>google.com</org_name><report_id>e-1</report_id>
            <date_range><begin>1771200000</begin><end>1771286399</end></date_range></report_metadata>
          <policy_published><domain>example.com</domain><p>none</p></policy_published>
          <record>
            <row><source_ip>198.51.100.7</source_ip><count>3</count>
              <policy_evaluated><disposition>none</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>
            <identifiers><header_from>example.com</header_from></identifiers>
            <auth_results><dkim><domain>mcsv.net</domain><result>pass</result></dkim><spf><domain>bounce.example.net</domain><result>pass</result></spf></auth_results>
          </record>
          <record>
            <row><source_ip>192.0.2.1</source_ip><count>5</count>
              <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>
            <identifiers><header_from>example.com</header_from></identifiers>
            <auth_results><dkim><domain>example.com</domain><result>pass</result></dkim><spf><domain>example.com</domain><result>pass</result></spf></auth_results>
          </record>
        </feedback>
        """;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private async Task<string> ConfigAsync(bool databases)
    {
        var settings = new Dictionary<string, string>();
        if (databases)
        {
            await TestMmdb.WriteAsnAsync(_folder.File("asn.mmdb"), ("198.51.100.0/24", 64500, "Example Mail Co"), ("192.0.2.0/24", 64496, "Our Own"));
            await TestMmdb.WriteCountryAsync(_folder.File("country.mmdb"), ("198.51.100.0/24", "DE"));
            settings["AsnDatabase"] = _folder.File("asn.mmdb");
            settings["CountryDatabase"] = _folder.File("country.mmdb");
        }
        var path = _folder.File("dmarc.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { Enrichment = settings }), TestContext.Current.CancellationToken);
        return path;
    }

    [Fact]
    public async Task CheckReportsWhatIsLoaded()
    {
        var config = await ConfigAsync(databases: true);

        var result = await DmarcProcess.RunAsync(_folder.Path, "enrich", "check", "--config", config);

        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.TrimEnd().Split('\n');
        Assert.Matches(@"^asn: .*asn\.mmdb: GeoLite2-ASN, built \d{4}-\d\d-\d\d, IPv6, 2 networks$", lines[0]);
        Assert.Matches(@"^country: .*country\.mmdb: GeoLite2-Country, built \d{4}-\d\d-\d\d, IPv6, 1 networks$", lines[1]);
        Assert.Matches(@"^services: \d{3,} entries \(built in\)$", lines[2]);
    }

    [Fact]
    public async Task CheckWithNothingConfiguredSaysSoAndSucceeds()
    {
        var result = await DmarcProcess.RunAsync(_folder.Path, "enrich", "check", "--config", await ConfigAsync(databases: false));

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("asn: not configured (Enrichment:AsnDatabase)\ncountry: not configured (Enrichment:CountryDatabase)\nservices: ", result.Stdout);
    }

    [Fact]
    public async Task ABrokenDatabaseIsAUsageErrorNamingTheSetting()
    {
        var config = _folder.File("dmarc.json");
        await File.WriteAllTextAsync(config, """{ "Enrichment": { "AsnDatabase": "missing.mmdb" } }""", TestContext.Current.CancellationToken);

        var check = await DmarcProcess.RunAsync(_folder.Path, "enrich", "check", "--config", config);
        var report = await DmarcProcess.RunAsync(_folder.Path, "report", "--config", config, "--no-dns", "--out", _folder.File("out"));

        Assert.Equal(2, check.ExitCode);
        Assert.Contains("Enrichment:AsnDatabase: file not found", check.Stderr);
        Assert.Equal(2, report.ExitCode);
        Assert.Contains("Enrichment:AsnDatabase: file not found", report.Stderr);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheRecordsExportEndsWithWhoTheSourceIs(bool databases)
    {
        var config = await ConfigAsync(databases);
        await File.WriteAllTextAsync(_folder.File("r.xml"), Report, TestContext.Current.CancellationToken);
        Assert.Equal(0, (await DmarcProcess.RunAsync(_folder.Path, "ingest", _folder.File("r.xml"))).ExitCode);

        var csv = await DmarcProcess.RunAsync(_folder.Path, "export", "--format", "csv", "--config", config);
        var json = await DmarcProcess.RunAsync(_folder.Path, "export", "--format", "json", "--config", config);

        Assert.Equal(0, csv.ExitCode);
        var lines = csv.Stdout.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        // The report mail's DKIM verdict comes after who the source is (a bare file: not-mail).
        Assert.EndsWith(",override_reasons,service,service_type,asn,as_org,country,auth,auth_domains", lines[0]);
        // The Mailchimp signature verified: the catalogue's dkim line names the service even without a database.
        Assert.EndsWith(databases ? ",Mailchimp,marketing,64500,Example Mail Co,DE,not-mail," : ",Mailchimp,marketing,,,,not-mail,", lines[1]);
        Assert.EndsWith(databases ? ",,,64496,Our Own,,not-mail," : ",,,,,,not-mail,", lines[2]);
        using var doc = JsonDocument.Parse(json.Stdout);
        var first = doc.RootElement[0];
        Assert.Equal("Mailchimp", first.GetProperty("service").GetString());
        Assert.Equal("marketing", first.GetProperty("service_type").GetString());
        Assert.Equal(databases ? "DE" : null, first.GetProperty("country").GetString());
    }
}
