using System.Text.Json;

namespace DmarcAnalyzer.Tests.Cli;

/// <summary>ingest's extra line, export --what tls|failure-reports, and prune, run as the program.</summary>
public sealed class TlsAndFailureCommandTests
{
    private static async Task<TempFolder> IngestedAsync()
    {
        var folder = new TempFolder();
        var ingest = await DmarcProcess.RunAsync(folder.Path, "ingest",
            Corpus.Require("smtp-tls", "parsedmarc__rfc8460.json"), Corpus.Require("smtp-tls", "dmarc-report-viewer__no-policy.json"),
            Corpus.Require("forensic", "parsedmarc__[Netease DMARC Failure Report] Rent Reminder.eml"),
            Corpus.Require("forensic", "mail-auth__arf-003.eml"));
        Assert.Equal(0, ingest.ExitCode);
        var lines = ingest.Stdout.TrimEnd().Split('\n');
        Assert.Equal("tls reports: 2 new, 0 duplicate; failure reports: 2 new, 0 duplicate", lines[^2]);
        Assert.Equal("reports: 0 new, 0 duplicate, 0 failed; records: 0", lines[^1]);
        return folder;
    }

    [Fact]
    public async Task ExportsTlsOneRowPerFailureDetail()
    {
        using var folder = await IngestedAsync();
        var csv = await DmarcProcess.RunAsync(folder.Path, "export", "--format", "csv", "--what", "tls");
        Assert.Equal(0, csv.ExitCode);
        Assert.StartsWith("organization_name,report_id,begin,end,contact_info,policy_type,policy_string,policy_domain,mx_host,", csv.Stdout);
        Assert.Contains("X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED", csv.Stdout);

        var json = await DmarcProcess.RunAsync(folder.Path, "export", "--format", "json", "--what", "tls");
        using var document = JsonDocument.Parse(json.Stdout);
        var rows = document.RootElement.EnumerateArray().ToList();
        // Three failure details of the RFC example, and the no-policy-found policy without any.
        Assert.Equal(4, rows.Count);
        Assert.Equal(303, rows.Where(r => r.GetProperty("report_id").GetString() == "5065427c-23d3-47ca-b6e0-946ea0e8c4be")
            .Sum(r => r.GetProperty("failed_session_count").GetInt64()));
        var noPolicy = Assert.Single(rows, r => r.GetProperty("policy_type").GetString() == "no-policy-found");
        Assert.Equal(JsonValueKind.Null, noPolicy.GetProperty("result_type").ValueKind);
    }

    [Fact]
    public async Task ExportsFailureReportsMaskedUnlessConfigured()
    {
        using var folder = await IngestedAsync();
        var masked = await DmarcProcess.RunAsync(folder.Path, "export", "--format", "json", "--what", "failure-reports");
        Assert.Equal(0, masked.ExitCode);
        using (var document = JsonDocument.Parse(masked.Stdout))
        {
            var rows = document.RootElement.EnumerateArray().ToList();
            Assert.Equal(2, rows.Count);
            var netease = Assert.Single(rows, r => r.GetProperty("reporting_domain").GetString() == "163.com");
            Assert.Equal("i***@cardinal.com", netease.GetProperty("header_from").GetString());
            Assert.Equal("Rent …", netease.GetProperty("subject").GetString());
            Assert.Equal("167.89.69.24", netease.GetProperty("source_ip").GetString());
        }
        var csv = await DmarcProcess.RunAsync(folder.Path, "export", "--format", "csv", "--what", "failure-reports");
        Assert.DoesNotContain(",Rent Reminder,", csv.Stdout);
        Assert.DoesNotContain("randomuser@", csv.Stdout);

        await File.WriteAllTextAsync(folder.File("dmarc.json"), """{"Analysis": {"ShowFailureReportDetails": true}}""", TestContext.Current.CancellationToken);
        var whole = await DmarcProcess.RunAsync(folder.Path, "export", "--format", "csv", "--what", "failure-reports");
        Assert.Contains(",Rent Reminder,", whole.Stdout);
        Assert.Contains("randomuser@example.net", whole.Stdout);
    }

    [Fact]
    public async Task PruneDeletesFailureReportsOlderThanTheAge()
    {
        using var folder = await IngestedAsync();
        // The corpus reports arrived in 2010 and 2018: ten thousand days ago takes the first only.
        var some = await DmarcProcess.RunAsync(folder.Path, "prune", "--failure-reports-older-than", $"{(DateTime.UtcNow - new DateTime(2015, 1, 1)).Days}d");
        Assert.Equal(0, some.ExitCode);
        Assert.StartsWith("failure reports: 1 deleted", some.Stdout);
        var all = await DmarcProcess.RunAsync(folder.Path, "prune", "--failure-reports-older-than", "90d");
        Assert.StartsWith("failure reports: 1 deleted", all.Stdout);
        var export = await DmarcProcess.RunAsync(folder.Path, "export", "--format", "json", "--what", "failure-reports");
        Assert.Equal("[]", export.Stdout.Trim());
        // TLS reports are not personal data and stay.
        Assert.Contains("Company-X", (await DmarcProcess.RunAsync(folder.Path, "export", "--format", "csv", "--what", "tls")).Stdout);

        var bad = await DmarcProcess.RunAsync(folder.Path, "prune", "--failure-reports-older-than", "three months");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("not an age in days", bad.Stderr);
    }
}
