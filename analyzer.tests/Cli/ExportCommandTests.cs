using System.Text.Json;

namespace DmarcAnalyzer.Tests.Cli;

public sealed class ExportCommandTests
{
    // Raw ESC and BEL (a terminal runs the first and rings the second), and a right-to-left override: all three a
    // stranger can put in a report our tolerant reader accepts.
    private const string Report = """
        <?xml version="1.0"?>
        <feedback>
          <version>1.0</version>
          <report_metadata>
            <org_name>Evil{ESC}]0;owned{BEL} Corp</org_name>
            <email>rua@evil.example</email>
            <extra_contact_info>https://evil.example/help</extra_contact_info>
            <report_id>r-1</report_id>
            <date_range><begin>1700000000</begin><end>1700086399</end></date_range>
            <error>one error</error>
          </report_metadata>
          <policy_published><domain>example.com</domain><p>none</p></policy_published>
          <record>
            <row>
              <source_ip>192.0.2.1</source_ip><count>2</count>
              <policy_evaluated>
                <disposition>none</disposition><dkim>fail</dkim><spf>fail</spf>
                <reason><type>local_policy</type><comment>arc=pass</comment></reason>
                <reason><type>mailing_list</type></reason>
              </policy_evaluated>
            </row>
            <identifiers><header_from>{RLO}moc.elgoog</header_from></identifiers>
            <auth_results>
              <dkim><domain>example.com</domain><selector>s1</selector><result>fail</result><human_result>body hash</human_result></dkim>
              <dkim><domain>other.example</domain><selector>s2</selector><result>pass</result></dkim>
              <spf><domain>example.com</domain><result>softfail</result></spf>
            </auth_results>
          </record>
        </feedback>
        """;

    private static async Task<string> IngestedFolderAsync(TempFolder folder)
    {
        var report = Report.Replace("{ESC}", "\u001b").Replace("{BEL}", "\u0007").Replace("{RLO}", "\u202E");
        await File.WriteAllTextAsync(folder.File("r.xml"), report, TestContext.Current.CancellationToken);
        var ingest = await DmarcProcess.RunAsync(folder.Path, "ingest", folder.File("r.xml"));
        Assert.Equal(0, ingest.ExitCode);
        return folder.Path;
    }

    [Theory]
    [InlineData("csv", "records")]
    [InlineData("csv", "reports")]
    [InlineData("json", "records")]
    [InlineData("json", "reports")]
    public async Task NoTerminalEscapeOrBidiOverrideReachesTheOutput(string format, string what)
    {
        using var folder = new TempFolder();
        var export = await DmarcProcess.RunAsync(await IngestedFolderAsync(folder), "export", "--format", format, "--what", what);
        Assert.Equal(0, export.ExitCode);
        Assert.DoesNotContain(export.Stdout, c => c is '\u001b' or '\u0007' or '\u202E');
    }

    [Fact]
    public async Task RecordsCarryOverrideReasonsAndHumanResults()
    {
        using var folder = new TempFolder();
        var csv = await DmarcProcess.RunAsync(await IngestedFolderAsync(folder), "export", "--format", "json");
        using var document = JsonDocument.Parse(csv.Stdout);
        var record = document.RootElement[0];
        Assert.Equal("local_policy: arc=pass | mailing_list", record.GetProperty("override_reasons").GetString());
        Assert.Equal("body hash | ", record.GetProperty("dkim_human_results").GetString());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("spf_human_results").ValueKind);
        Assert.Equal("2023-11-14T22:13:20Z", record.GetProperty("begin").GetString());
    }

    [Fact]
    public async Task ReportsCarryContactInfoVersionAndErrorsWithTimesInZ()
    {
        using var folder = new TempFolder();
        var json = await DmarcProcess.RunAsync(await IngestedFolderAsync(folder), "export", "--format", "json", "--what", "reports");
        using var document = JsonDocument.Parse(json.Stdout);
        var report = document.RootElement[0];
        Assert.Equal("https://evil.example/help", report.GetProperty("extra_contact_info").GetString());
        Assert.Equal("1.0", report.GetProperty("version").GetString());
        Assert.Equal("one error", report.GetProperty("errors").GetString());
        Assert.Equal("2023-11-14T22:13:20Z", report.GetProperty("begin").GetString());
        Assert.EndsWith("Z", report.GetProperty("ingested").GetString());

        var csv = await DmarcProcess.RunAsync(folder.Path, "export", "--format", "csv", "--what", "reports");
        Assert.Contains("extra_contact_info", csv.Stdout.Split('\n')[0]);
        Assert.Contains("2023-11-14T22:13:20Z", csv.Stdout);
    }
}
