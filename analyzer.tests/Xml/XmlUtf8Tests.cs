using System.Text;
using DmarcAnalyzer.Xml;

namespace DmarcAnalyzer.Tests.Xml;

public class XmlUtf8Tests
{
    private const string Document = "<?xml version=\"1.0\" encoding=\"{0}\"?><feedback><org_name>Bücher & Söhne</org_name></feedback>";

    [Theory]
    [InlineData("UTF-16", true)]
    [InlineData("UTF-16", false)]
    public void Utf16IsRecognisedByItsByteOrderMarkOrItsFirstCharacter(string name, bool bom)
    {
        foreach (var encoding in new[] { new UnicodeEncoding(false, bom), new UnicodeEncoding(true, bom) })
        {
            var text = string.Format(Document, name);
            var bytes = encoding.GetPreamble().Concat(encoding.GetBytes(text)).ToArray();
            Assert.Equal(text, Encoding.UTF8.GetString(XmlUtf8.From(bytes).Span));
        }
    }

    [Fact]
    public void TheDeclaredEncodingIsTranscoded()
    {
        var text = string.Format(Document, "windows-1252");
        Assert.Equal(text, Encoding.UTF8.GetString(XmlUtf8.From(Encoding.GetEncoding(1252).GetBytes(text)).Span));
    }

    [Fact]
    public void Utf8IsReturnedAsItIsAndBrokenUtf8IsReadAsWindows1252()
    {
        var good = Encoding.UTF8.GetBytes(string.Format(Document, "UTF-8"));
        var same = XmlUtf8.From(good);
        Assert.True(same.Span == good.AsSpan(), "valid UTF-8 must not be copied");

        var broken = Encoding.ASCII.GetBytes("<feedback><org_name>x</org_name></feedback>").ToList();
        broken.InsertRange(20, new byte[] { 0x93, (byte)'q', 0x94 });
        Assert.Equal("<feedback><org_name>\u201Cq\u201Dx</org_name></feedback>", Encoding.UTF8.GetString(XmlUtf8.From(broken.ToArray()).Span));
    }

    [Theory]
    [InlineData("utf-16", false)]
    [InlineData("UCS-2", false)]
    [InlineData("windows-1252", true)]
    public void An8BitStartOrAUtf8MarkOutweighsTheDeclaration(string declared, bool bom)
    {
        var text = string.Format(Document, declared);
        var bytes = (bom ? new byte[] { 0xEF, 0xBB, 0xBF } : []).Concat(Encoding.UTF8.GetBytes(text)).ToArray();
        Assert.EndsWith("<org_name>Bücher & Söhne</org_name></feedback>", Encoding.UTF8.GetString(XmlUtf8.From(bytes).Span));
    }

    [Fact]
    public void AnUnknownEncodingIsAnEncodingError()
    {
        var e = Assert.Throws<XmlEncodingException>(() => XmlUtf8.From(Encoding.ASCII.GetBytes(string.Format(Document, "x-klingon"))));
        Assert.Equal("the report could not be read: its declared encoding 'x-klingon' is not known", e.Message);
    }
}
