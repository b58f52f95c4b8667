using System.Text;
using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Tests.Mail;

public class CharsetTests
{
    [Theory]
    [InlineData("iso-2022-jp", "1b2442467c4b5c386c1b2842", "日本語")]
    [InlineData("Shift_JIS", "93fa967b8cea", "日本語")]
    [InlineData("x-sjis", "93fa967b8cea", "日本語")]
    [InlineData("euc-jp", "c6fccbdcb8ec", "日本語")]
    [InlineData("windows-1252", "4772fcdf652080", "Grüße €")]
    [InlineData("cp1252", "4772fcdf652080", "Grüße €")]
    [InlineData("ISO-8859-1", "636166e9", "café")]
    [InlineData("\"utf8\"", "c3a9", "é")]
    [InlineData("gb2312", "d6d0cec4", "中文")]
    [InlineData("no-such-charset", "c3a9ff", "é\uFFFD")]
    public async Task TextIsDecodedWithItsCharset(string charset, string hex, string expected)
    {
        var bytes = MimeText.Bytes($"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: 8bit\n\n")
            .Concat(Convert.FromHexString(hex)).ToArray();
        var message = await MimeText.ParseAsync(bytes);
        Assert.Equal(expected, await message.ReadTextAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Base64Iso2022JpBodyIsDecoded()
    {
        var message = await MimeText.ParseAsync(
            "Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: base64\n\nGyRCRnxLXDhsGyhC\n");
        Assert.Equal("日本語", await message.ReadTextAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void UsAsciiLabelReadsUtf8() =>
        Assert.Equal("é", Charsets.Decode(Encoding.UTF8.GetBytes("é"), "us-ascii"));
}
