using System.IO.Compression;
using System.Text;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Tests.Reports;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary>design.md: bad input gets a clear error, never a crash or a hang, and the rest of a batch still lands.</summary>
public class BadInputTests
{
    private static async Task<string> FailureReasonAsync(byte[] input, IngestLimits? limits = null)
    {
        await using var store = new IngestHarness { Limits = limits ?? IngestLimits.Default };
        var outcome = await store.IngestAsync(input);
        Assert.Equal(0, outcome.New);
        Assert.True(outcome.Failed >= 1, "the input should be stored as a failure");
        Assert.Equal(0, await store.ScalarAsync("SELECT count(*) FROM reports"));
        Assert.Equal(0, await store.ScalarAsync("SELECT count(*) FROM records"));
        return string.Join(" | ", await store.StringsAsync("SELECT reason FROM failures"));
    }

    [Fact]
    public async Task ExternalEntityIsNeverRead()
    {
        var secret = Path.GetTempFileName();
        await File.WriteAllTextAsync(secret, "TOP-SECRET", TestContext.Current.CancellationToken);
        try
        {
            var xml = $"<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY xxe SYSTEM \"file://{secret}\">]>"
                + ReportXml.Report(org: "&xxe;").Replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "");
            Assert.Contains("DTD", await FailureReasonAsync(ReportXml.Bytes(xml)));
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task EntityExpansionBombIsRefused()
    {
        var entities = new StringBuilder("<!ENTITY a0 \"lol\">");
        for (var i = 1; i < 10; i++)
            entities.Append($"<!ENTITY a{i} \"{string.Concat(Enumerable.Repeat($"&a{i - 1};", 10))}\">");
        var xml = $"<?xml version=\"1.0\"?><!DOCTYPE feedback [{entities}]><feedback><report_metadata><org_name>&a9;</org_name></report_metadata></feedback>";
        Assert.Contains("DTD", await FailureReasonAsync(ReportXml.Bytes(xml)));
    }

    [Fact]
    public async Task GzipThatInflatesToTenGigabytesStopsAtTheCap()
    {
        // 10,240 gzip members of 1 MB of zeros each: a 10 GB stream in a few MB of input.
        var member = Gzip(new byte[1 << 20], CompressionLevel.SmallestSize);
        var bomb = new byte[member.Length * 10_240];
        for (var i = 0; i < 10_240; i++)
            member.CopyTo(bomb, i * member.Length);
        Assert.Contains("decompression bomb", await FailureReasonAsync(bomb, SmallInflateCap));
    }

    /// <summary>The cap works the same at any size; a small one keeps the test quick (the default is 100 MB).</summary>
    private static readonly IngestLimits SmallInflateCap = new() { MaxInflatedBytes = 8 << 20 };

    [Fact]
    public async Task ZipBombStopsAtTheCap()
    {
        var zip = Zip(("zeros.xml", new byte[16 << 20]));
        Assert.Contains("decompression bomb", await FailureReasonAsync(zip, SmallInflateCap));
    }

    [Fact]
    public async Task ZipWithAHundredThousandEntriesIsRefused()
    {
        var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            for (var i = 0; i < 100_000; i++)
                archive.CreateEntry($"{i}.xml", CompressionLevel.NoCompression);
        Assert.Contains("100,000 entries", await FailureReasonAsync(buffer.ToArray()));
    }

    [Fact]
    public async Task NestingDoesNotMultiplyTheInflateCap()
    {
        // Each gzip alone is under the cap; together they are not.
        var zip = Zip(("a.xml.gz", Gzip(new byte[5 << 20])), ("b.xml.gz", Gzip(new byte[5 << 20])), ("c.xml.gz", Gzip(new byte[5 << 20])));
        Assert.Contains("MB in all (a decompression bomb?)", await FailureReasonAsync(zip, SmallInflateCap));
    }

    [Fact]
    public async Task FailedPiecesOfOneArchiveKeepItsBytesOnce()
    {
        var zip = Zip(("a.xml", ReportXml.Bytes("<feedback>")), ("b.xml", ReportXml.Bytes("<feedback><x>")), ("c.xml", ReportXml.Bytes("<nope/>")));
        await using var store = new IngestHarness();
        Assert.Equal(3, (await store.IngestAsync(zip, "three.zip")).Failed);
        Assert.Equal(3, await store.ScalarAsync("SELECT count(*) FROM failures"));
        Assert.Equal(1, await store.ScalarAsync("SELECT count(*) FROM failure_blobs"));
        Assert.Equal(zip.Length, await store.ScalarAsync("SELECT length(raw) FROM failure_blobs"));
    }

    [Fact]
    public async Task TruncatedGzipIsAFailure()
    {
        var gzip = Gzip(ReportXml.Bytes(ReportXml.Report(records: 50)));
        Assert.Contains("truncated", await FailureReasonAsync(gzip[..(gzip.Length / 2)]));
    }

    [Fact]
    public async Task ALargeReportBrokenPartWayIsAFailureAndKeepsNothing()
    {
        // Over a megabyte: parsed on another thread while SQLite stores the records already read.
        var xml = ReportXml.Bytes(ReportXml.Report(records: 6000));
        Assert.True(xml.Length > 1 << 20);
        var reason = await FailureReasonAsync(xml[..(xml.Length - 300)]);
        Assert.Contains("ends before the document is complete", reason);
    }

    [Fact]
    public async Task RecordsPiledUpBeforeTheHeaderAreCapped()
    {
        var xml = "<feedback>" + string.Concat(Enumerable.Repeat("<record/>", 10_001)) + "</feedback>";
        Assert.Contains("more than 10,000 records come before <report_metadata>", await FailureReasonAsync(ReportXml.Bytes(xml)));
    }

    [Fact]
    public async Task AValueLongerThan64KilobytesIsRefused()
    {
        var xml = ReportXml.Report(org: new string('x', 70_000));
        Assert.Contains("a value longer than 64 KB", await FailureReasonAsync(ReportXml.Bytes(xml)));
    }

    [Fact]
    public async Task AnEnormousRootNameIsShortenedInTheReason()
    {
        var reason = await FailureReasonAsync(ReportXml.Bytes($"<{new string('a', 100_000)}/>"));
        Assert.Contains("not <feedback>", reason);
        Assert.True(reason.Length < 300, reason);
    }

    [Fact]
    public async Task ALargeReportIsStoredWhole()
    {
        var xml = ReportXml.Bytes(ReportXml.Report(records: 6000));
        await using var store = new IngestHarness();
        Assert.Equal(6000, (await store.IngestAsync(xml)).Records);
        Assert.Equal(6000 * 6001 / 2, await store.ScalarAsync("SELECT sum(count) FROM records"));
        Assert.Equal(6000 * 6001 / 2, await store.ScalarAsync("SELECT messages FROM report_results WHERE kind = 'dkim' AND value = 'pass'"));
    }

    [Fact]
    public async Task TruncatedZipIsAFailure()
    {
        var zip = Zip(("report.xml", ReportXml.Bytes(ReportXml.Report(records: 50))));
        Assert.Contains("the zip archive is damaged", await FailureReasonAsync(zip[..(zip.Length / 2)]));
    }

    [Fact]
    public async Task ZipHoldingNoXmlIsAFailure()
    {
        var zip = Zip(("readme.txt", "hello"u8.ToArray()), ("logo.png", [0x89, 0x50, 0x4E, 0x47]));
        Assert.Contains("holds no XML report (entries: readme.txt, logo.png)", await FailureReasonAsync(zip));
    }

    [Fact]
    public async Task EncryptedZipIsAFailure()
    {
        var zip = Zip(("report.xml", ReportXml.Bytes(ReportXml.Report())));
        SetEncryptedFlag(zip);
        Assert.Contains("encrypted", await FailureReasonAsync(zip));
    }

    [Fact]
    public async Task EmptyFileIsAFailure() =>
        Assert.Contains("empty", await FailureReasonAsync([]));

    [Fact]
    public async Task XmlNestedTenThousandLevelsIsRefused()
    {
        var xml = "<feedback><report_metadata>" + string.Concat(Enumerable.Repeat("<a>", 10_000))
            + string.Concat(Enumerable.Repeat("</a>", 10_000)) + "</report_metadata></feedback>";
        Assert.Contains("nests deeper than 64", await FailureReasonAsync(ReportXml.Bytes(xml)));
    }

    [Fact]
    public async Task OneGigabyteInputIsRefusedWithoutBeingRead()
    {
        using var folder = new TempFolder();
        var path = folder.File("huge.xml");
        await using (var file = File.Create(path))
        {
            await file.WriteAsync(ReportXml.Bytes("<feedback>"), TestContext.Current.CancellationToken);
            file.SetLength(1L << 30); // sparse: costs no disk
        }
        await using var store = new IngestHarness();
        await using var pipeline = await IngestPipeline.OpenAsync(store.DatabasePath, IngestLimits.Default,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TestContext.Current.CancellationToken);
        await using (var input = File.OpenRead(path))
            Assert.Equal(new IngestOutcome(0, 0, 1, 0), await pipeline.IngestAsync(input, path, TestContext.Current.CancellationToken));
        Assert.Contains("larger than the 200 MB read", Assert.Single(await store.StringsAsync("SELECT reason FROM failures")));
        Assert.Equal(1L << 30, await store.ScalarAsync("SELECT size FROM failures"));
        Assert.Equal(1, await store.ScalarAsync("SELECT raw_truncated FROM failures"));
    }

    [Fact]
    public async Task GoodReportsInTheSameArchiveStillLand()
    {
        var zip = Zip(("good.xml", ReportXml.Bytes(ReportXml.Report("good", records: 3))),
            ("bad.xml", ReportXml.Bytes("<feedback><report_metadata>")),
            ("also-good.xml.gz", Gzip(ReportXml.Bytes(ReportXml.Report("also-good", records: 2)))));
        await using var store = new IngestHarness();
        Assert.Equal(new IngestOutcome(2, 0, 1, 5), await store.IngestAsync(zip, "batch.zip"));
        Assert.Equal(["batch.zip › bad.xml"], await store.StringsAsync("SELECT source FROM failures"));
    }

    [Fact]
    public async Task AReportBrokenAfterSomeRecordsLeavesNoneOfThem()
    {
        var xml = ReportXml.Report(records: 3).Replace("</feedback>",
            "<record><row><source_ip>192.0.2.9</source_ip><count>lots</count></row></record></feedback>");
        await using var store = new IngestHarness();
        Assert.Equal(new IngestOutcome(0, 0, 1, 0), await store.IngestAsync(ReportXml.Bytes(xml)));
        Assert.Equal(0, await store.ScalarAsync("SELECT count(*) FROM records"));
        Assert.Contains("record 4: <count> 'lots'", Assert.Single(await store.StringsAsync("SELECT reason FROM failures")));
    }

    [Fact]
    public async Task NotAReportAtAllSaysWhatItIs()
    {
        Assert.Contains("SMTP TLS report has no report-id", await FailureReasonAsync("{\"organization-name\": \"x\"}"u8.ToArray()));
        Assert.Contains("neither XML, gzip, zip nor an e-mail", await FailureReasonAsync([0x00, 0x01, 0x02, 0x03]));
    }

    internal static byte[] Gzip(byte[] data, CompressionLevel level = CompressionLevel.Fastest)
    {
        var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, level, leaveOpen: true))
            gzip.Write(data);
        return buffer.ToArray();
    }

    internal static byte[] Zip(params (string Name, byte[] Data)[] entries)
    {
        var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries)
            {
                using var stream = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
                stream.Write(data);
            }
        return buffer.ToArray();
    }

    /// <summary>Sets bit 0 of the general-purpose flags (APPNOTE 4.4.4: encrypted) in every local and central header.</summary>
    private static void SetEncryptedFlag(byte[] zip)
    {
        for (var i = 0; i + 4 <= zip.Length; i++)
        {
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 3 && zip[i + 3] == 4)
                zip[i + 6] |= 1;
            else if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 1 && zip[i + 3] == 2)
                zip[i + 8] |= 1;
        }
    }
}
