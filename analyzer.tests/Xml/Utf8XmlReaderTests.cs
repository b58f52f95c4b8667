using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using DmarcAnalyzer.Xml;

namespace DmarcAnalyzer.Tests.Xml;

public partial class Utf8XmlReaderTests
{
    private sealed record Node(XmlNodeType Type, int Depth, string LocalName, bool IsEmpty, string Value, string Name = "", string Namespace = "");

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreWhitespace = true,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    private static List<Node> Ours(byte[] xml)
    {
        var nodes = new List<Node>();
        var reader = new Utf8XmlReader(xml);
        while (reader.Read())
            nodes.Add(new Node(reader.NodeType, reader.Depth, reader.LocalName, reader.IsEmptyElement, reader.Value, reader.Name, reader.NamespaceURI));
        Assert.Equal(XmlNodeType.None, reader.NodeType);
        return nodes;
    }

    private static List<Node> Theirs(byte[] xml)
    {
        var nodes = new List<Node>();
        using var reader = XmlReader.Create(new MemoryStream(xml), Settings);
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.XmlDeclaration)
                nodes.Add(new Node(reader.NodeType, reader.Depth, reader.LocalName, reader.IsEmptyElement, reader.Value, reader.Name, reader.NamespaceURI));
        }
        return nodes;
    }

    private static List<Node> Ours(string xml) => Ours(Encoding.UTF8.GetBytes(xml));

    /// <summary>Both readers give the same nodes.</summary>
    private static List<Node> AssertSameAsXmlReader(string xml)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        var ours = Ours(bytes);
        Assert.Equal(Theirs(bytes), ours);
        return ours;
    }

    /// <summary>Both readers refuse the document; returns our exception.</summary>
    private static XmlSyntaxException AssertBothReject(string xml)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        Assert.ThrowsAny<XmlException>(() => Theirs(bytes));
        return Assert.Throws<XmlSyntaxException>(() => Ours(bytes));
    }

    [Fact]
    public void ReadsElementsTextAndDepthsLikeXmlReader()
    {
        var nodes = AssertSameAsXmlReader("""
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment before the root -->
            <feedback>
              <version>1.0</version>
              <record><row><count>3</count><empty/></row></record>
              <?pi some data?>
            </feedback>
            <!-- and one after -->
            """);
        Assert.Equal(
            [
                new(XmlNodeType.Element, 0, "feedback", false, ""),
                new(XmlNodeType.Element, 1, "version", false, ""),
                new(XmlNodeType.Text, 2, "", false, "1.0"),
                new(XmlNodeType.EndElement, 1, "version", false, ""),
                new(XmlNodeType.Element, 1, "record", false, ""),
                new(XmlNodeType.Element, 2, "row", false, ""),
                new(XmlNodeType.Element, 3, "count", false, ""),
                new(XmlNodeType.Text, 4, "", false, "3"),
                new(XmlNodeType.EndElement, 3, "count", false, ""),
                new(XmlNodeType.Element, 3, "empty", true, ""),
                new(XmlNodeType.EndElement, 2, "row", false, ""),
                new(XmlNodeType.EndElement, 1, "record", false, ""),
                new(XmlNodeType.EndElement, 0, "feedback", false, ""),
            ],
            nodes.Select(n => n with { Name = "" }));
    }

    [Fact]
    public void DecodesPredefinedEntitiesAndCharacterReferences()
    {
        var nodes = AssertSameAsXmlReader("<a>&lt;b&gt; &amp; &quot;&apos; &#65;&#x42;&#x1F600;&#xe9;</a>");
        Assert.Equal("<b> & \"' AB\U0001F600é", nodes[1].Value);
    }

    [Fact]
    public void KeepsTextWithLeadingAndTrailingWhitespaceWhole()
    {
        var nodes = AssertSameAsXmlReader("<a>\n  x y \n</a>");
        Assert.Equal("\n  x y \n", nodes[1].Value);
    }

    [Fact]
    public void NormalisesLineEndsInTextButNotCharacterReferences()
    {
        var nodes = AssertSameAsXmlReader("<a>x\r\ny\rz&#13;</a>");
        Assert.Equal("x\ny\nz\r", nodes[1].Value);
    }

    [Fact]
    public void ReadsCDataSectionsAsTheyAre()
    {
        var nodes = AssertSameAsXmlReader("<a>x<![CDATA[<b>&amp; ]] > \r\n]]>y<![CDATA[]]></a>");
        Assert.Equal(new Node(XmlNodeType.CDATA, 1, "", false, "<b>&amp; ]] > \n"), nodes[2]);
        Assert.Equal(new Node(XmlNodeType.CDATA, 1, "", false, ""), nodes[4]);
    }

    [Fact]
    public void DecodesNonAsciiText()
    {
        var nodes = AssertSameAsXmlReader("<a>Grüße, 日本</a>");
        Assert.Equal("Grüße, 日本", nodes[1].Value);
    }

    [Fact]
    public void SkipsAttributesWhoseValuesHoldMarkupCharacters()
    {
        AssertSameAsXmlReader("""
            <a x="1>2" y='a/b' z = "&amp;&#60;" w="it's" v='say "hi"'><b q="/>" r=''/>text</a>
            """);
    }

    [Fact]
    public void StripsNamespacePrefixes()
    {
        var nodes = AssertSameAsXmlReader("""
            <x:feedback xmlns:x="urn:ietf:params:xml:ns:dmarc-2.0" xmlns="urn:other"><x:record>1</x:record><record/></x:feedback>
            """);
        Assert.Equal(["feedback", "record", "", "record", "record", "feedback"], nodes.Select(n => n.LocalName));
    }

    [Fact]
    public void ResolvesNamespacesInScope()
    {
        var nodes = AssertSameAsXmlReader("""
            <feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0" xmlns:x="urn:x?a=1&amp;b"><x:a><b xmlns=""><c/></b><x:d xmlns:x="urn:z"><x:e/></x:d><x:f/></x:a><g/></feedback>
            """);
        Assert.Equal("urn:x?a=1&b", nodes[1].Namespace);
        Assert.Equal("x:a", nodes[1].Name);
    }

    [Fact]
    public void RefusesMoreNamespacesInScopeThanTheCap()
    {
        static string Declaring(int count) =>
            "<a " + string.Concat(Enumerable.Range(0, count).Select(i => $"xmlns:p{i}='urn:{i}' ")) + "><p0:b/></a>";
        Assert.Equal("urn:0", Ours(Declaring(Utf8XmlReader.MaxNamespaces))[1].Namespace);
        var e = Assert.Throws<XmlSyntaxException>(() => Ours(Declaring(Utf8XmlReader.MaxNamespaces + 1)));
        Assert.Contains("more than 64 namespaces", e.Message);
    }

    [Theory]
    [InlineData("<x:a/>")]
    [InlineData("<a><b xmlns:x='urn:x'/><x:c/></a>")]
    [InlineData("<a><x:b xmlns:x='urn:x'></x:b><x:c/></a>")]
    public void RefusesAnUndeclaredPrefix(string xml)
    {
        Assert.Contains("is not declared", AssertBothReject(xml).Message);
    }

    [Fact]
    public void ReturnsOneStringInstanceForARepeatedName()
    {
        var reader = new Utf8XmlReader("<r><dkim/><dkim/><p:dkim xmlns:p='urn:p'/></r>"u8.ToArray());
        var names = new List<string>();
        while (reader.Read())
            names.Add(reader.LocalName);
        Assert.Same(names[1], names[2]);
        Assert.Same(names[1], names[3]);
        Assert.Same(names[0], names[4]);
    }

    [Fact]
    public void ReadsManyDistinctAndCollidingNames()
    {
        // Same length, first and last four bytes: one hash for all, past what the name table remembers.
        var names = Enumerable.Range(0, 3000).Select(i => $"abcd{i:D6}wxyz").ToList();
        var xml = "<r>" + string.Concat(names.Select(n => $"<{n}/><{n}></{n}>")) + "</r>";
        var nodes = Ours(xml);
        Assert.Equal(names.SelectMany(n => new[] { n, n, n }), nodes.Skip(1).SkipLast(1).Select(n => n.LocalName));
    }

    [Fact]
    public void AcceptsAUtf8ByteOrderMark()
    {
        byte[] xml = [0xEF, 0xBB, 0xBF, .. "<?xml version=\"1.0\"?><a>x</a>"u8];
        Assert.Equal(Theirs(xml), Ours(xml));
    }

    [Fact]
    public void ReadsAPartOfAnArray()
    {
        var bytes = "junk<a>x</a>junk"u8.ToArray();
        var reader = new Utf8XmlReader(bytes.AsMemory(4, 8));
        var values = new List<string>();
        while (reader.Read())
            values.Add(reader.NodeType == XmlNodeType.Text ? reader.Value : reader.Name);
        Assert.Equal(["a", "x", "a"], values);
    }

    [Fact]
    public void RefusesUtf16()
    {
        var e = Assert.Throws<XmlSyntaxException>(() => Ours(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("<a/>")).ToArray()));
        Assert.Contains("UTF-16", e.Message);
    }

    [Fact]
    public void RefusesAMismatchedEndTagNamingBothLines()
    {
        var e = AssertBothReject("<a>\n<b>\n</a>\n</b>");
        Assert.Contains("</a>", e.Message);
        Assert.Contains("<b> of line 2", e.Message);
        Assert.Equal(3, e.LineNumber);
    }

    [Fact]
    public void RefusesAnEndTagThatOnlyStartsLikeTheOpenElement()
    {
        AssertBothReject("<record></recordx>");
        AssertBothReject("<recordx></record>");
    }

    [Theory]
    [InlineData("<feedback><record>")]
    [InlineData("<feedback><record>text")]
    [InlineData("<feedback><rec")]
    [InlineData("<feedback><record a=\"1")]
    [InlineData("<feedback></feedb")]
    [InlineData("<feedback><!-- comment")]
    [InlineData("<feedback><![CDATA[data")]
    [InlineData("<feedback><?pi")]
    [InlineData("<feedback><!-")]
    public void SaysWhenTheDocumentIsTruncated(string xml)
    {
        var e = AssertBothReject(xml);
        Assert.Contains("ends before the document is complete (truncated?)", e.Message);
    }

    [Fact]
    public void NamesTheUnclosedElementOfATruncatedDocument()
    {
        var e = AssertBothReject("<feedback>\n  <record>\n    <row>x</row>\n");
        Assert.Contains("<record> of line 2 is not closed", e.Message);
    }

    [Theory]
    [InlineData("<!DOCTYPE feedback><feedback/>")]
    [InlineData("<?xml version=\"1.0\"?>\n<!DOCTYPE feedback [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><feedback>&x;</feedback>")]
    [InlineData("<feedback><!DOCTYPE feedback></feedback>")]
    public void RefusesADtd(string xml)
    {
        var e = AssertBothReject(xml);
        Assert.Contains("DTD", e.Message);
    }

    [Theory]
    [InlineData("&nbsp;")]
    [InlineData("&x;")]
    [InlineData("&amp")]
    [InlineData("a & b")]
    [InlineData("&;")]
    [InlineData("&#;")]
    [InlineData("&#x;")]
    [InlineData("&#12a;")]
    [InlineData("&#xD800;")]
    [InlineData("&#x110000;")]
    [InlineData("&#99999999999;")]
    [InlineData("&#0;")]
    public void RefusesReferencesOtherThanPredefinedEntitiesAndCharacters(string text)
    {
        var e = AssertBothReject($"<a>{text}</a>");
        Assert.Contains("predefined entities", e.Message);
        AssertBothReject($"<a b=\"{text}\"/>");
    }

    [Fact]
    public void RefusesNestingDeeperThanTheCap()
    {
        static string Nested(int depth) => string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth));
        var deepest = Ours(Nested(Utf8XmlReader.MaxDepth));
        Assert.Equal(Utf8XmlReader.MaxDepth - 1, deepest.Max(n => n.Depth));
        var e = Assert.Throws<XmlSyntaxException>(() => Ours(Nested(Utf8XmlReader.MaxDepth + 1)));
        Assert.Contains("deeper than 10,000", e.Message);
    }

    [Theory]
    [InlineData("<a/><b/>", "second root element")]
    [InlineData("<a></a><b></b>", "second root element")]
    [InlineData("<a></a>text", "text after the root element")]
    [InlineData("text<a></a>", "text before the root element")]
    [InlineData("", "no root element")]
    [InlineData("  <!-- only a comment -->  ", "no root element")]
    [InlineData("<a></a></a>", "closes no open element")]
    [InlineData("<![CDATA[x]]><a/>", "CDATA section outside the root element")]
    [InlineData("<a>x ]]> y</a>", "']]>' may not appear in text")]
    [InlineData("<a b=\"<\"/>", "'<' may not appear in an attribute value")]
    [InlineData("<a b=c/>", "must be in quotes")]
    [InlineData("<a b/>", "must be followed by '='")]
    [InlineData("<a b='1'c='2'/>", "whitespace")]
    [InlineData("<a/ >", "must be followed by '>'")]
    [InlineData("< a/>", "cannot start a name")]
    [InlineData("<1a/>", "cannot start a name")]
    [InlineData("<a:1b xmlns:a='urn:a'/>", "no valid element name")]
    [InlineData("<a:b:c/>", "no valid element name")]
    [InlineData("<:a/>", "no valid element name")]
    [InlineData("<a></a >x", "text after the root element")]
    [InlineData(" <?xml version=\"1.0\"?><a/>", "XML declaration")]
    [InlineData("<a><?xml version=\"1.0\"?></a>", "XML declaration")]
    [InlineData("<a><!-- a -- b --></a>", "'--' may not appear inside a comment")]
    [InlineData("<a><!-- a ---></a>", "'--' may not appear inside a comment")]
    [InlineData("<a><!ELEMENT a></a>", "'<!' begins no comment")]
    public void RefusesWhatIsNotWellFormed(string xml, string reason)
    {
        var e = AssertBothReject(xml);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void RefusesInvalidUtf8()
    {
        byte[] text = [.. "<a>x"u8, 0xC3, 0x28, .. "</a>"u8];
        Assert.Contains("not valid UTF-8", Assert.Throws<XmlSyntaxException>(() => Ours(text)).Message);
        byte[] attribute = [.. "<a b='"u8, 0xFF, .. "'/>"u8];
        Assert.Contains("not valid UTF-8", Assert.Throws<XmlSyntaxException>(() => Ours(attribute)).Message);
        byte[] name = [.. "<a"u8, 0xFF, .. "/>"u8];
        Assert.Throws<XmlSyntaxException>(() => Ours(name));
    }

    [Theory]
    [InlineData("<a> &#32; </a>")]
    [InlineData("<a>&#x20;&#9;</a>")]
    [InlineData("<a> <![CDATA[ ]]> </a>")]
    [InlineData("<a>\r\n</a>")]
    [InlineData("<a>x]]y]></a>")]
    public void TreatsWhitespaceFromReferencesAndCDataAsXmlReaderDoes(string xml) => AssertSameAsXmlReader(xml);

    [Fact]
    public void SkipsCommentsAndProcessingInstructionsInsideText()
    {
        AssertSameAsXmlReader("<a>x<!-- c -->y<?pi?>z</a>");
        AssertSameAsXmlReader("<a> <!-- c --> y <?pi data?> </a>");
    }

    [Fact]
    public void LetsTheCallerStopAtAnInnerElement()
    {
        // A generator bug wraps the report in a never-closed <xs:schema>; the report reader stops at </feedback>.
        var reader = new Utf8XmlReader("""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><feedback><v>1</v></feedback>"""u8.ToArray());
        while (reader.Read() && !(reader.NodeType == XmlNodeType.EndElement && reader.LocalName == "feedback"))
        {
        }
        Assert.Equal((XmlNodeType.EndElement, 1), (reader.NodeType, reader.Depth));
        Assert.Throws<XmlSyntaxException>(() => reader.Read());
    }

    [Fact]
    public void NumbersLinesLikeXmlReader()
    {
        var xml = "<?xml version=\"1.0\"?>\r\n<a>\n  <b>x</b>\r  <c\n   d='1'/>\n<!--\n-->\n<e/></a>"u8.ToArray();
        var ours = new Utf8XmlReader(xml);
        using var theirs = XmlReader.Create(new MemoryStream(xml), Settings);
        theirs.MoveToContent();
        while (ours.Read())
        {
            Assert.Equal(theirs.NodeType, ours.NodeType);
            if (ours.NodeType == XmlNodeType.Element)
                Assert.Equal(((IXmlLineInfo)theirs).LineNumber, ours.LineNumber);
            theirs.Read();
        }
        Assert.Equal(7, Assert.Throws<XmlSyntaxException>(() => Ours("<a>\n\r\n\r<b>\n\n\n</a>")).LineNumber);
    }

    [Fact]
    public void ClassifiesBytesByXmlsRules()
    {
        for (var b = 0; b < 256; b++)
        {
            var c = (char)b;
            var expected = b >= 0x80 ? XmlByteClasses.Name | XmlByteClasses.NameStart | XmlByteClasses.TextSpecial
                : char.IsAsciiLetter(c) || c is '_' or ':' ? XmlByteClasses.Name | XmlByteClasses.NameStart
                : char.IsAsciiDigit(c) || c is '-' or '.' ? XmlByteClasses.Name
                : 0;
            if (c is ' ' or '\t' or '\r' or '\n')
                expected |= XmlByteClasses.Whitespace;
            if (c is '&' or '\r' or '>')
                expected |= XmlByteClasses.TextSpecial;
            Assert.True(expected == XmlByteClasses.Table[b], $"byte 0x{b:X2}: {XmlByteClasses.Table[b]}, not {expected}");
        }
    }

    /// <summary>A reader moved onto the first &lt;a&gt; start tag of the document.</summary>
    private static Utf8XmlReader OnA(string xml)
    {
        var reader = new Utf8XmlReader(Encoding.UTF8.GetBytes(xml));
        while (reader.Read() && !(reader.NodeType == XmlNodeType.Element && reader.LocalName == "a"))
        {
        }
        return reader;
    }

    private static List<Node> Rest(Utf8XmlReader reader)
    {
        var nodes = new List<Node>();
        while (reader.Read())
            nodes.Add(new Node(reader.NodeType, reader.Depth, reader.LocalName, reader.IsEmptyElement, reader.Value, reader.Name, reader.NamespaceURI));
        return nodes;
    }

    [Theory]
    [InlineData("<r><a>pass</a><b/></r>", "pass")]
    [InlineData("<r><p:a xmlns:p='urn:x'> 192.0.2.1 \n </p:a><b/></r>", " 192.0.2.1 \n ")]
    [InlineData("<r><a></a><b/></r>", "")]
    [InlineData("<r><a x='1'>a]b</a><b/></r>", "a]b")]
    public void PlainTextContentIsReadInOneStep(string xml, string text)
    {
        var reader = OnA(xml);
        Assert.True(reader.TryReadTextContent(64, out var value));
        Assert.Equal(text, value);
        Assert.Equal((XmlNodeType.EndElement, 1, "a"), (reader.NodeType, reader.Depth, reader.LocalName));
        var general = OnA(xml);
        while (general.Read() && general.NodeType != XmlNodeType.EndElement)
        {
        }
        Assert.Equal(Rest(general), Rest(reader));
    }

    /// <summary>Anything but plain text up to the end tag is left to Read, from where the reader was.</summary>
    [Theory]
    [InlineData("<r><a>a&amp;b</a><b/></r>")]
    [InlineData("<r><a>a\rb</a><b/></r>")]
    [InlineData("<r><a>é</a><b/></r>")]
    [InlineData("<r><a>x<c/>y</a><b/></r>")]
    [InlineData("<r><a><![CDATA[x]]></a><b/></r>")]
    [InlineData("<r><a>x<!-- c --></a><b/></r>")]
    [InlineData("<r><a>x</a ><b/></r>")]
    [InlineData("<r><a>x]]&gt;</a><b/></r>")]
    [InlineData("<r><a>longer than eight</a><b/></r>")]
    [InlineData("<r><a/><b/></r>")]
    public void OtherContentIsLeftToRead(string xml)
    {
        var reader = OnA(xml);
        Assert.False(reader.TryReadTextContent(8, out _));
        Assert.Equal((XmlNodeType.Element, "a"), (reader.NodeType, reader.LocalName));
        Assert.Equal(Rest(OnA(xml)), Rest(reader));
    }

    [Theory]
    [InlineData("<r><a>x</b></r>", "does not match")]
    [InlineData("<r><a>x</ab></r>", "does not match")]
    [InlineData("<r><a>x</a", "truncated")]
    [InlineData("<r><a>x", "truncated")]
    public void BrokenEndTagsAreStillReportedByRead(string xml, string message)
    {
        var reader = OnA(xml);
        Assert.False(reader.TryReadTextContent(64, out _));
        Assert.Contains(message, Assert.Throws<XmlSyntaxException>(() => Rest(reader)).Message);
    }

    /// <summary>
    /// Every plain or gzip-compressed XML report of the corpus reads to the same nodes as with XmlReader, or
    /// both readers refuse it. A document declaring another encoding is transcoded to UTF-8 for ours.
    /// </summary>
    [Fact]
    public void ReadsTheCorpusLikeXmlReader()
    {
        var folder = Corpus.Require("aggregate");
        // XmlReader decodes what a document declares; reports declare windows-1252, among others (CodePages).
        var compared = 0;
        var disagreements = new List<string>();
        foreach (var path in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(path);
            while (bytes is [0x1F, 0x8B, ..])
                bytes = Gunzip(bytes);
            if (!path.Contains(".xml", StringComparison.Ordinal) || path.EndsWith(".zip", StringComparison.Ordinal))
                continue;
            compared++;
            var theirs = Outcome(() => Theirs(bytes));
            var ours = Outcome(() => Ours(AsUtf8(bytes)));
            if (theirs.Nodes is null != ours.Nodes is null
                || theirs.Nodes is not null && !theirs.Nodes.SequenceEqual(ours.Nodes!))
                disagreements.Add($"{Path.GetFileName(path)}: XmlReader {theirs.Summary}; ours {ours.Summary}");
        }
        Assert.True(compared >= 50, $"only {compared} XML files in {folder}");
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }

    private static (List<Node>? Nodes, string Summary) Outcome(Func<List<Node>> read)
    {
        try
        {
            var nodes = read();
            return (nodes, $"{nodes.Count} nodes");
        }
        catch (Exception e) when (e is XmlException or XmlSyntaxException)
        {
            return (null, "refuses it: " + e.Message);
        }
    }

    private static byte[] Gunzip(byte[] bytes)
    {
        using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>The document in UTF-8, as the report reader hands it over: transcoded when it declares another encoding.</summary>
    private static byte[] AsUtf8(byte[] bytes)
    {
        var head = Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 200));
        var declared = EncodingDeclaration().Match(head);
        if (!declared.Success || declared.Groups[1].Value.Replace("-", "").Equals("utf8", StringComparison.OrdinalIgnoreCase))
            return bytes;
        return Encoding.UTF8.GetBytes(Encoding.GetEncoding(declared.Groups[1].Value).GetString(bytes));
    }

    [GeneratedRegex("""^<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']""")]
    private static partial Regex EncodingDeclaration();
}
