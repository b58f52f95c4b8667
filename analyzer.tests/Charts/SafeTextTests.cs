using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Tests.Charts;

public sealed class SafeTextTests
{
    [Theory]
    [InlineData("\u202Emoc.elgoog")]
    [InlineData("a\u202Ab\u202Bc\u202Cd\u202De")]
    [InlineData("\u2066x\u2067y\u2068z\u2069")]
    [InlineData("\u200E\u200F\u061C")]
    [InlineData("\u001b[31mred\u0007")]
    [InlineData("\u009b31m\u007f")]
    [InlineData("line\u2028next\u2029")]
    public void ControlAndDirectionalFormattingCharactersAreNeutralised(string text)
    {
        foreach (var cleaned in new[] { SafeText.Clean(text), SafeText.Neutralise(text) })
        {
            Assert.DoesNotContain(cleaned, c => char.IsControl(c) || c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069')
                or '\u200E' or '\u200F' or '\u061C' or '\u2028' or '\u2029');
            Assert.Contains('\uFFFD', cleaned);
        }
    }

    [Fact]
    public void OrdinaryTextIsKeptWholeByNeutraliseAndCappedByClean()
    {
        var text = "Société Générale — 日本郵便 😀\tend";
        Assert.Same(text, SafeText.Neutralise(text));
        Assert.Equal(text, SafeText.Clean(text, 1000));
        Assert.Equal("Soc…", SafeText.Clean(text, 3));
    }

    [Theory]
    [InlineData("a\r\nb", "a\uFFFD\uFFFDb")]
    [InlineData("a\nalert: forged", "a\uFFFDalert: forged")]
    [InlineData("tab\there", "tab here")]
    [InlineData("plain", "plain")]
    public void ALineCannotBecomeTwo(string text, string expected) => Assert.Equal(expected, SafeText.Line(text));
}
