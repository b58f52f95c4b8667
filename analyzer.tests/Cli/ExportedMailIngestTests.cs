using System.Text;
using DmarcAnalyzer.Tests.Ingest;
using DmarcAnalyzer.Tests.Reports;

namespace DmarcAnalyzer.Tests.Cli;

/// <summary>Mail exported from elsewhere: a Maildir folder and an mbox file are ingest inputs too.</summary>
public class ExportedMailIngestTests
{
    private static string ReportMail(string reportId) =>
        "From: noreply-dmarc@reporter.example\nSubject: Report\nContent-Type: application/gzip; name=\"r.xml.gz\"\n"
        + "Content-Transfer-Encoding: base64\n\n"
        + Convert.ToBase64String(BadInputTests.Gzip(ReportXml.Bytes(ReportXml.Report(reportId, records: 2))), Base64FormattingOptions.InsertLineBreaks) + "\n";

    [Fact]
    public async Task IngestsEveryMessageOfAMaildirButNotDeliveriesInProgress()
    {
        using var folder = new TempFolder();
        var maildir = Path.Combine(folder.Path, "Maildir");
        foreach (var sub in new[] { "new", "cur", "tmp", ".Archive/new", ".Archive/cur", ".Archive/tmp" })
            Directory.CreateDirectory(Path.Combine(maildir, sub));
        await File.WriteAllTextAsync(Path.Combine(maildir, "new", "1.host"), ReportMail("a"), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(maildir, "cur", "2.host:2,S"), ReportMail("b"), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(maildir, ".Archive", "cur", "3.host:2,S"), ReportMail("c"), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(maildir, "tmp", "4.host"), "half a deliv", TestContext.Current.CancellationToken);

        var result = await DmarcProcess.RunAsync(folder.Path, "ingest", folder.Path);
        Assert.Equal("reports: 3 new, 0 duplicate, 0 failed; records: 6", result.LastLine);
    }

    [Fact]
    public async Task IngestsEveryMessageOfAnMboxFile()
    {
        using var folder = new TempFolder();
        var mbox = new StringBuilder();
        foreach (var id in new[] { "a", "b", "c" })
            mbox.Append("From noreply-dmarc@reporter.example Sat Nov 21 10:00:00 2026\n").Append(ReportMail(id)).Append('\n');
        await File.WriteAllTextAsync(folder.File("reports.mbox"), mbox.ToString(), TestContext.Current.CancellationToken);

        var result = await DmarcProcess.RunAsync(folder.Path, "ingest", folder.File("reports.mbox"));
        Assert.Equal("reports: 3 new, 0 duplicate, 0 failed; records: 6", result.LastLine);
        var csv = await DmarcProcess.RunAsync(folder.Path, "export", "--format", "json", "--what", "reports");
        Assert.Contains("reports.mbox#3", csv.Stdout);
    }
}
