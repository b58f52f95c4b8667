using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Ingest;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary>
/// Every aggregate report in the shared corpus either lands with all its records, or, where the file is
/// truly broken, becomes a stored failure with a reason a person understands.
/// </summary>
public partial class CorpusIngestTests
{
    /// <summary>The corpus files that are broken beyond reading (MANIFEST.md says why), with words their reason must have.</summary>
    private static readonly Dictionary<string, string> Broken = new()
    {
        ["parsedmarc__empty.xml"] = "empty",
        ["parsedmarc__invalid_xml.xml"] = "not well-formed",
        ["trollbyte-dmarc__malformed.xml"] = "truncated",
        ["trollbyte-dmarc__malformed_report.xml"] = "not <feedback>",
    };

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        var folder = Path.Combine(Corpus.Root, "aggregate");
        if (!Directory.Exists(folder))
            data.Add("(corpus missing)");
        else
            // E-mails carrying reports have tests of their own (EmailIngestTests).
            foreach (var file in Directory.EnumerateFiles(folder).Where(f => !f.EndsWith(".eml")).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task EveryFileLandsWithAllItsRecordsOrFailsWithAReason(string name)
    {
        var path = Corpus.Require("aggregate", name);
        await using var store = new IngestHarness();
        var outcome = await store.IngestFileAsync(path);

        if (Broken.TryGetValue(name, out var why))
        {
            Assert.Equal(new IngestOutcome(0, 0, 1, 0), outcome);
            var reason = Assert.Single(await store.StringsAsync("SELECT reason FROM failures"));
            Assert.Contains(why, reason);
            Assert.Equal(new FileInfo(path).Length, await store.ScalarAsync("SELECT length(b.raw) FROM failures f JOIN failure_blobs b ON b.sha256 = f.sha256"));
            return;
        }
        Assert.Equal(0, outcome.Failed);
        Assert.Equal(1, outcome.New);
        var expected = ExpectedRecords(File.ReadAllBytes(path));
        Assert.Equal(expected, outcome.Records);
        Assert.Equal(expected, await store.ScalarAsync("SELECT count(*) FROM records"));
    }

    /// <summary>Counts &lt;record&gt; elements in the XML the file holds, opened here independently of the code under test.</summary>
    private static long ExpectedRecords(byte[] data)
    {
        if (data is [0x1F, 0x8B, ..])
        {
            using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
            using var inflated = new MemoryStream();
            gzip.CopyTo(inflated);
            return ExpectedRecords(inflated.ToArray());
        }
        if (data is [(byte)'P', (byte)'K', ..])
        {
            using var zip = new ZipArchive(new MemoryStream(data));
            using var entry = zip.Entries.Single().Open();
            using var inflated = new MemoryStream();
            entry.CopyTo(inflated);
            return ExpectedRecords(inflated.ToArray());
        }
        if (data is [(byte)'<', ..] or [0xEF, ..] or [(byte)' ' or (byte)'\n' or (byte)'\r', ..])
            return RecordTag().Count(Encoding.Latin1.GetString(data));
        throw new InvalidOperationException($"not a plain, gzip or zip report ({data.Length} bytes)");
    }

    [GeneratedRegex(@"<record[\s>]")]
    private static partial Regex RecordTag();
}
