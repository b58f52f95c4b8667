using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Tests.Mail;

public class EncodedWordsTests
{
    [Theory]
    [InlineData("=?utf-8?B?R3LDvMOfZQ==?=", "Grüße")]
    [InlineData("=?UTF-8?q?Gr=C3=BC=C3=9Fe_aus_Berlin?=", "Grüße aus Berlin")]
    [InlineData("=?iso-8859-1?Q?caf=E9?= au lait", "café au lait")]
    [InlineData("Re: =?windows-1252?Q?=80uro?=", "Re: €uro")]
    // RFC 2047 §8: white space between adjacent encoded words disappears, elsewhere it stays.
    [InlineData("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab")]
    [InlineData("=?ISO-8859-1?Q?a?=  \r\n  =?ISO-8859-1?Q?b?=", "ab")]
    [InlineData("=?ISO-8859-1?Q?a?= b", "a b")]
    [InlineData("=?ISO-8859-1?Q?a_b?=", "a b")]
    // RFC 2231 §5: language after '*'.
    [InlineData("=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore")]
    [InlineData("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", "日本語")]
    [InlineData("=?shift_jis?B?k/qWe4zq?=", "日本語")]
    [InlineData("=?EUC-JP?B?xvzL3Ljs?=", "日本語")]
    // A UTF-8 character split across two words decodes whole.
    [InlineData("=?utf-8?B?ww==?= =?utf-8?B?qQ==?=", "é")]
    public void DecodesEncodedWords(string input, string expected) =>
        Assert.Equal(expected, EncodedWords.Decode(input));

    [Theory]
    [InlineData("plain text")]
    [InlineData("=?utf-8?X?abc?=")]
    [InlineData("=?utf-8?Q?unterminated")]
    [InlineData("a =? b ?= c")]
    public void LeavesMalformedWordsAlone(string input) =>
        Assert.Equal(input, EncodedWords.Decode(input));

    [Fact]
    public void UnknownCharsetFallsBackToUtf8() =>
        Assert.Equal("é", EncodedWords.Decode("=?x-unknown?B?w6k=?="));

    [Fact]
    public void ManyUnclosedWordsDecodeInLinearTime()
    {
        var text = string.Concat(Enumerable.Repeat("=?a?b?c", 150_000)) + " =?utf-8?q?end?=";
        Assert.EndsWith(" end", EncodedWords.Decode(text));
    }
}
