using System.Text;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Tests.Ingest;

namespace DmarcAnalyzer.Tests.Reports;

/// <summary>
/// Issue 14: whatever a report's first bytes and its XML declaration say, it is either read or a failure with a
/// reason, and the batch goes on. Real reporters put byte order marks and white space before the declaration.
/// </summary>
public class DeclaredEncodingTests
{
    private const string Declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    private static string Body(string encoding) =>
        $"<?xml version=\"1.0\" encoding=\"{encoding}\"?>" + ReportXml.Report(records: 2).Replace(Declaration, "");

    public static TheoryData<string> Prefixed => ["ws", "bom", "bom-ws", "crlf-bom", "utf16le-bom-ws", "utf16be-bom", "utf16le-ws", "utf16be-ws", "utf32le-bom", "utf32be-ws"];

    private static byte[] PrefixedReport(string variant)
    {
        var utf16 = Body("UTF-16");
        return variant switch
        {
            "ws" => Bytes(" \t\r\n\r\n" + Body("UTF-8")),
            "bom" => [0xEF, 0xBB, 0xBF, .. Bytes(Body("UTF-8"))],
            "bom-ws" => [0xEF, 0xBB, 0xBF, .. Bytes("\r\n  " + Body("UTF-8"))],
            "crlf-bom" => Bytes("\r\n\uFEFF" + Body("UTF-8")),
            "utf16le-bom-ws" => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes("\r\n " + utf16)],
            "utf16be-bom" => [0xFE, 0xFF, .. Encoding.BigEndianUnicode.GetBytes(utf16)],
            "utf16le-ws" => Encoding.Unicode.GetBytes("\n" + utf16),
            "utf16be-ws" => Encoding.BigEndianUnicode.GetBytes(" \n" + utf16),
            "utf32le-bom" => [0xFF, 0xFE, 0, 0, .. Encoding.UTF32.GetBytes(Body("UTF-32"))],
            "utf32be-ws" => new UTF32Encoding(bigEndian: true, byteOrderMark: false).GetBytes("\n" + Body("UTF-32")),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Theory]
    [MemberData(nameof(Prefixed))]
    public async Task AReportWithWhiteSpaceOrAByteOrderMarkBeforeItsDeclarationIsRead(string variant)
    {
        await using var store = new IngestHarness();
        Assert.Equal(new IngestOutcome(1, 0, 0, 2), await store.IngestAsync(PrefixedReport(variant)));
    }

    [Theory]
    [InlineData("UTF-7", "its declared encoding 'UTF-7' is not supported")]
    [InlineData("utf-7", "its declared encoding 'utf-7' is not supported")]
    [InlineData("x-unicode-2-0-utf-7", "is not supported")]
    [InlineData("x-unknown", "its declared encoding 'x-unknown' is not known")]
    [InlineData("EBCDIC", "its declared encoding 'EBCDIC' is not known")]
    [InlineData("IBM037", "its declared encoding 'IBM037' is not the one its declaration is written in")]
    [InlineData("cp1026", "is not the one its declaration is written in")]
    [InlineData("unicodeFFFE", "is not the one its declaration is written in")]
    public async Task AnEncodingThatCannotBeUsedIsAFailureWithAReasonAndTheBatchGoesOn(string encoding, string reason)
    {
        await using var store = new IngestHarness();
        Assert.Equal(new IngestOutcome(0, 0, 1, 0), await store.IngestAsync(Bytes(Body(encoding).Replace("r-1", "bad")), "bad.xml"));
        Assert.Equal(new IngestOutcome(1, 0, 0, 2), await store.IngestAsync(Bytes(Body("UTF-8")), "good.xml"));
        var stored = Assert.Single(await store.StringsAsync("SELECT reason FROM failures"));
        Assert.StartsWith("the report could not be read: ", stored);
        Assert.Contains(reason, stored);
        Assert.DoesNotContain("SYSLIB", stored);
    }

    [Theory]
    [InlineData("UTF-16")]
    [InlineData("UTF-32BE")]
    [InlineData("utf-32")]
    [InlineData("UCS-2")]
    [InlineData("ISO-2022-JP")]
    [InlineData("windows-1252")]
    public async Task ADeclaredEncodingThatDoesNotMatchAnEightBitDocumentOrIsCompatibleWithItIsRead(string encoding)
    {
        await using var store = new IngestHarness();
        Assert.Equal(new IngestOutcome(1, 0, 0, 2), await store.IngestAsync(Bytes(Body(encoding))));
    }
}
