using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Tests.Mail;

public class Rfc2231Tests
{
    [Fact]
    public void JoinsContinuationsInOrder()
    {
        var parameters = Rfc2231.DecodeParameters([("URL*1", "cp/"), ("URL*0", "ftp://"), ("url*2", "file.zip")]);
        Assert.Equal("ftp://cp/file.zip", parameters["url"]);
    }

    [Fact]
    public void DecodesCharsetAndLanguage()
    {
        var parameters = Rfc2231.DecodeParameters([("title*", "us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A")]);
        Assert.Equal("This is ***fun***", parameters["TITLE"]);
    }

    [Fact]
    public void MixesEncodedAndPlainSectionsAndDecodesMultiByteAcrossSections()
    {
        // §4.1 example, plus a UTF-8 character split between two encoded sections.
        var parameters = Rfc2231.DecodeParameters([
            ("title*0*", "us-ascii'en'This%20is%20even%20more%20"),
            ("title*1*", "%2A%2A%2Afun%2A%2A%2A%20"),
            ("title*2", "isn't it!"),
            ("name*0*", "utf-8''%E5%A0"),
            ("name*1*", "%B1%E5%91%8A%E6%9B%B8.pdf"),
        ]);
        Assert.Equal("This is even more ***fun*** isn't it!", parameters["title"]);
        Assert.Equal("報告書.pdf", parameters["name"]);
    }

    [Fact]
    public void ExtendedValueWinsOverPlainOne()
    {
        var parameters = Rfc2231.DecodeParameters([("filename", "fallback.pdf"), ("filename*", "shift_jis''%95%F1%8D%90%8F%91.pdf")]);
        Assert.Equal("報告書.pdf", parameters["filename"]);
    }

    [Fact]
    public void PlainValueWithEncodedWordsIsDecoded()
    {
        var parameters = Rfc2231.DecodeParameters([("name", "=?ISO-2022-JP?B?GyRCRTpJVSVVJSElJCVrGyhCLnppcA==?=")]);
        Assert.Equal("添付ファイル.zip", parameters["name"]);
    }

    [Fact]
    public async Task FileNamesFromHeadersAreDecoded()
    {
        var message = await MimeText.ParseAsync("""
            Content-Type: multipart/mixed; boundary=x

            --x
            Content-Type: application/pdf
            Content-Disposition: attachment;
             filename*0*=utf-8''%E5%A0%B1%E5%91;
             filename*1*=%8A%E6%9B%B8.pdf

            x
            --x
            Content-Type: application/zip; name="=?ISO-2022-JP?B?GyRCRTpJVSVVJSElJCVrGyhCLnppcA==?="

            x
            --x--
            """);
        Assert.Equal(["報告書.pdf", "添付ファイル.zip"], message.Children.Select(c => c.FileName));
    }
}
