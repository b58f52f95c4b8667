using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using System.Xml;

namespace DmarcAnalyzer.Xml;

/// <summary>
/// A forward-only pull reader of an XML 1.0 document held in memory as UTF-8 (the caller transcodes other
/// encodings first), with the part of <see cref="XmlReader"/>'s surface a report reader needs. It exists for
/// speed from the first call: XmlReader's framework code starts as ReadyToRun code and is slow until tiered
/// compilation has re-compiled it, which a fresh process reading one large report never waits out.
/// <para>
/// Nodes are elements, end tags, text and CDATA sections. Whitespace-only text, comments, processing
/// instructions and the XML declaration are checked and skipped, as are attributes; names are atomised, so
/// the only allocations are <see cref="Value"/> strings, made when asked for. Well-formedness is enforced
/// (tags match, one root, references valid, valid UTF-8 in element names, text and attribute values) and every violation throws
/// <see cref="XmlSyntaxException"/>; a DTD is refused, so nothing is ever resolved or expanded. Elements'
/// namespaces are resolved and their prefixes must be declared. Not checked: attributes' prefixes, duplicate
/// attributes, and XML's excluded control characters (as <c>XmlReaderSettings.CheckCharacters = false</c>).
/// </para>
/// </summary>
internal sealed class Utf8XmlReader
{
    /// <summary>The deepest nesting of open elements; the caller's own depth limit is normally far lower.</summary>
    public const int MaxDepth = 10_000;

    /// <summary>
    /// The most namespace declarations in scope at once: a report needs a few, and each prefixed element
    /// looks through them.
    /// </summary>
    public const int MaxNamespaces = 64;

    private const string XmlNamespace = "http://www.w3.org/XML/1998/namespace";

    /// <summary>The document as an array segment: a span over it is cheaper to make than Memory's, once a node.</summary>
    private readonly ArraySegment<byte> _xml;
    private readonly int _documentStart;
    private readonly Utf8NameTable _names = new();
    private readonly AsciiValueCache _values = new();
    private OpenElement[] _open = new OpenElement[16];
    private int _openCount;
    private NamespaceDeclaration[] _namespaces = new NamespaceDeclaration[4];
    private int _namespaceCount;
    private int _pos;
    private bool _rootSeen;
    private bool _rootClosed;

    private XmlNodeType _nodeType;
    private int _depth;
    private string _localName = "";
    private int _nameStart;
    private int _nameLength;
    private int _prefixLength;
    private bool _isEmptyElement;
    private int _nodeStart;
    private int _valueStart;
    private int _valueLength;
    private ValueForm _valueForm;
    private string? _value;
    private char[] _scratch = [];

    /// <summary>Where line counting has got to: <see cref="_line"/> is the line of byte <see cref="_lineOffset"/>.</summary>
    private int _lineOffset;
    private int _line = 1;

    /// <summary>How a value's bytes become its string.</summary>
    private enum ValueForm
    {
        /// <summary>ASCII without references or CR: each byte is a char.</summary>
        Ascii,

        /// <summary>Valid UTF-8 without references or CR.</summary>
        Utf8,

        /// <summary>With references (text only) or line ends to normalise.</summary>
        Escaped,

        /// <summary>Only white space, some of it written as references: no node.</summary>
        Whitespace,
    }

    private readonly record struct OpenElement(int NameStart, int NameLength, int PrefixLength, string LocalName);

    /// <summary>An xmlns or xmlns:prefix attribute of the element at <see cref="Depth"/> (prefix length 0: the default).</summary>
    private readonly record struct NamespaceDeclaration(int PrefixStart, int PrefixLength, string Uri, int Depth);

    public Utf8XmlReader(ReadOnlyMemory<byte> xml)
    {
        // Memory that is not over an array (a MemoryManager's) is copied once.
        _xml = MemoryMarshal.TryGetArray(xml, out var segment) ? segment : xml.ToArray();
        var span = xml.Span;
        if (span is [0xFE, 0xFF, ..] or [0xFF, 0xFE, ..])
            throw new XmlSyntaxException("the XML is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8", 1);
        if (span is [0xEF, 0xBB, 0xBF, ..])
            _documentStart = 3;
        _pos = _documentStart;
    }

    public XmlNodeType NodeType => _nodeType;

    /// <summary>As in <see cref="XmlReader.Depth"/>: the root element is at 0, its children (text too) at 1.</summary>
    public int Depth => _depth;

    /// <summary>The element's name without its prefix; "" on other nodes.</summary>
    public string LocalName => _localName;

    /// <summary>The element's name as written, prefix and all; "" on other nodes. Made anew at each call.</summary>
    public string Name => _nodeType is XmlNodeType.Element or XmlNodeType.EndElement
        ? Encoding.UTF8.GetString(_xml.AsSpan(_nameStart, _nameLength))
        : "";

    /// <summary>The element's namespace (Namespaces in XML 1.0 §6); "" without one and on other nodes.</summary>
    public string NamespaceURI => _nodeType is XmlNodeType.Element or XmlNodeType.EndElement
        ? Namespace(_xml.AsSpan(), _nameStart, _prefixLength) ?? ""
        : "";

    /// <summary>True on an element written &lt;x/&gt;, which has no end tag node.</summary>
    public bool IsEmptyElement => _isEmptyElement;

    /// <summary>The decoded text of a Text or CDATA node; "" on other nodes.</summary>
    public string Value => _nodeType is XmlNodeType.Text or XmlNodeType.CDATA ? _value ??= DecodeValue() : "";

    /// <summary>The length in bytes of a Text or CDATA node as written, before references are decoded: known before <see cref="Value"/> makes the string.</summary>
    public int ValueByteLength => _nodeType is XmlNodeType.Text or XmlNodeType.CDATA ? _valueLength : 0;

    /// <summary>The line the current node starts on, counted from 1.</summary>
    public int LineNumber => LineAt(_nodeStart);

    /// <summary>Moves to the next node; false at the end of a complete document (NodeType None).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Read()
    {
        var xml = _xml.AsSpan();
        _value = null;
        _isEmptyElement = false;
        // Declarations go out of scope after their element's end tag, or after it when it is empty.
        while (_namespaceCount > 0 && _namespaces[_namespaceCount - 1].Depth >= _openCount)
            _namespaceCount--;
        while (true)
        {
            var pos = _pos;
            if (pos >= xml.Length)
                return End(xml);
            if (xml[pos] != '<')
            {
                if (ReadText(xml, pos))
                    return true;
                continue;
            }
            _nodeStart = pos;
            switch (At(xml, pos + 1))
            {
                case '/':
                    ReadEndTag(xml, pos);
                    return true;
                case '?':
                    SkipProcessingInstruction(xml, pos);
                    break;
                case '!':
                    if (ReadMarkupDeclaration(xml, pos))
                        return true;
                    break;
                default:
                    ReadStartTag(xml, pos);
                    return true;
            }
        }
    }

    /// <summary>
    /// On the start tag of an element whose whole content is plain ASCII text (no markup, reference or CR) of at
    /// most <paramref name="maxBytes"/>, moves onto its end tag and gives that text: one scan where
    /// <see cref="Read"/> would take three nodes, for the leaf values that make up most of a report. Otherwise
    /// stays where it is and returns false.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReadTextContent(int maxBytes, out string text)
    {
        text = "";
        if (_nodeType != XmlNodeType.Element || _isEmptyElement)
            return false;
        var xml = _xml.AsSpan();
        var classes = XmlByteClasses.Table;
        var seen = 0;
        var lt = _pos;
        while ((uint)lt < (uint)xml.Length && xml[lt] != '<')
            seen |= classes[xml[lt++]];
        var open = _open[_openCount - 1];
        var end = lt + 2 + open.NameLength;
        if ((seen & XmlByteClasses.TextSpecial) != 0 || lt - _pos > maxBytes || end >= xml.Length || xml[lt + 1] != '/'
            || xml[end] != '>' || !ShortBytes.Equal(xml.Slice(lt + 2, open.NameLength), xml.Slice(open.NameStart, open.NameLength)))
            return false;
        var value = xml[_pos..lt];
        text = value.Length <= AsciiValueCache.MaxLength ? _values.Get(value) : Encoding.ASCII.GetString(value);
        _nodeStart = lt;
        CloseElement(open, end + 1);
        return true;
    }

    /// <summary>Reads character data up to the next '&lt;'; false when it is whitespace only (skipped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReadText(ReadOnlySpan<byte> xml, int pos)
    {
        var classes = XmlByteClasses.Table;
        var seen = 0;
        var i = pos;
        while ((uint)i < (uint)xml.Length && (classes[xml[i]] & XmlByteClasses.Whitespace) != 0)
            seen |= classes[xml[i++]];
        if (i == xml.Length || xml[i] == '<')
        {
            _pos = i;
            return false;
        }
        if (_openCount == 0)
            throw Error(i, _rootSeen ? "text after the root element" : "text before the root element");
        while ((uint)i < (uint)xml.Length && xml[i] != '<')
            seen |= classes[xml[i++]];
        if (i == xml.Length)
            throw Truncated(xml);
        var length = i - pos;
        _valueForm = (seen & XmlByteClasses.TextSpecial) == 0 ? ValueForm.Ascii : CheckText(xml, pos, length);
        if (_valueForm == ValueForm.Whitespace)
        {
            _pos = i;
            return false;
        }
        _nodeType = XmlNodeType.Text;
        _nodeStart = pos;
        _depth = _openCount;
        _localName = "";
        _valueStart = pos;
        _valueLength = length;
        _pos = pos + length;
        return true;
    }

    /// <summary>Checks text off the fast path and says how to decode it, or that it is white space (skipped).</summary>
    private ValueForm CheckText(ReadOnlySpan<byte> xml, int start, int length)
    {
        var text = xml.Slice(start, length);
        if (!Utf8.IsValid(text))
            throw Error(start, "the text is not valid UTF-8");
        var decode = false;
        // White space written as character references is white space too, as XmlReader has it.
        var whitespace = true;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case (byte)'&':
                    var reference = XmlReferences.Read(text[i..], out var value);
                    if (reference == 0)
                        throw BadReference(xml, start + i);
                    i += reference - 1;
                    decode = true;
                    whitespace &= value.Value is ' ' or '\t' or '\r' or '\n';
                    break;
                case (byte)'\r':
                    decode = true;
                    break;
                case (byte)'>' when text[..i].EndsWith("]]"u8):
                    throw Error(start + i, "']]>' may not appear in text (XML 1.0 §2.4)");
                case var b:
                    whitespace &= IsWhitespace(b);
                    break;
            }
        }
        return whitespace ? ValueForm.Whitespace : decode ? ValueForm.Escaped : ValueForm.Utf8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReadStartTag(ReadOnlySpan<byte> xml, int lt)
    {
        var nameStart = lt + 1;
        var nameLength = NameLength(xml, nameStart);
        var p = nameStart + nameLength;
        var empty = false;
        switch (At(xml, p))
        {
            case '>':
                p++;
                break;
            case '/':
                if (At(xml, p + 1) != '>')
                    throw Unexpected(xml, p + 1, "'/' in a tag must be followed by '>'");
                p += 2;
                empty = true;
                break;
            default:
                p = SkipAttributes(xml, p, out empty);
                break;
        }
        if (_rootClosed)
            throw AboutElement(lt, xml.Slice(nameStart, nameLength), "a second root element ", " (XML 1.0 §2.1: a document has one)");
        var localName = _names.LocalName(xml.Slice(nameStart, nameLength), out var prefixLength)
            ?? throw AboutElement(lt, xml.Slice(nameStart, nameLength), "", " is no valid element name");
        if (prefixLength > 0 && Namespace(xml, nameStart, prefixLength) is null)
            throw AboutElement(lt, xml.Slice(nameStart, nameLength), "the prefix of ", " is not declared (Namespaces in XML 1.0 §5)");
        _nodeType = XmlNodeType.Element;
        _depth = _openCount;
        _localName = localName;
        _nameStart = nameStart;
        _nameLength = nameLength;
        _prefixLength = prefixLength;
        _isEmptyElement = empty;
        _rootSeen = true;
        _pos = p;
        if (!empty)
            Push(new OpenElement(nameStart, nameLength, prefixLength, localName), lt);
        else if (_openCount == 0)
            _rootClosed = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Push(OpenElement element, int lt)
    {
        if (_openCount == _open.Length)
            Grow(lt);
        _open[_openCount++] = element;
    }

    private void Grow(int lt)
    {
        if (_openCount == MaxDepth)
            throw Error(lt, $"the XML nests deeper than {MaxDepth:N0} elements");
        Array.Resize(ref _open, Math.Min(_open.Length * 2, MaxDepth));
    }

    /// <summary>Checks and skips the attributes after an element's name; returns the position after the tag.</summary>
    private int SkipAttributes(ReadOnlySpan<byte> xml, int p, out bool empty)
    {
        while (true)
        {
            var separated = SkipWhitespace(xml, p);
            var hadWhitespace = separated > p;
            p = separated;
            switch (At(xml, p))
            {
                case '>':
                    empty = false;
                    return p + 1;
                case '/':
                    if (At(xml, p + 1) != '>')
                        throw Unexpected(xml, p + 1, "'/' in a tag must be followed by '>'");
                    empty = true;
                    return p + 2;
                case -1:
                    throw Truncated(xml);
            }
            if (!hadWhitespace)
                throw Error(p, $"{Describe(At(xml, p))} in a tag where whitespace, '>' or '/>' belongs");
            var nameStart = p;
            p += NameLength(xml, p);
            var name = xml[nameStart..p];
            p = SkipWhitespace(xml, p);
            if (At(xml, p) != '=')
                throw Unexpected(xml, p, "an attribute name must be followed by '='");
            p = SkipWhitespace(xml, p + 1);
            var quote = At(xml, p);
            if (quote is not ('"' or '\''))
                throw Unexpected(xml, p, "an attribute value must be in quotes");
            var length = xml[(p + 1)..].IndexOf((byte)quote);
            if (length < 0)
                throw Truncated(xml);
            CheckAttributeValue(xml, p + 1, length);
            if (name.SequenceEqual("xmlns"u8))
                Declare(nameStart, 0, xml.Slice(p + 1, length));
            else if (name.StartsWith("xmlns:"u8))
                Declare(nameStart + 6, name.Length - 6, xml.Slice(p + 1, length));
            p += length + 2;
        }
    }

    private void Declare(int prefixStart, int prefixLength, ReadOnlySpan<byte> uri)
    {
        if (_namespaceCount == _namespaces.Length)
        {
            if (_namespaceCount == MaxNamespaces)
                throw Error(prefixStart, $"the XML declares more than {MaxNamespaces:N0} namespaces in scope");
            Array.Resize(ref _namespaces, Math.Min(_namespaces.Length * 2, MaxNamespaces));
        }
        var chars = new char[uri.Length];
        var value = new string(chars, 0, XmlCharacterData.Decode(uri, references: true, chars));
        _namespaces[_namespaceCount++] = new NamespaceDeclaration(prefixStart, prefixLength, value, _openCount);
    }

    /// <summary>The namespace the prefix at <paramref name="prefixStart"/> stands for (length 0: the default), or null when undeclared.</summary>
    private string? Namespace(ReadOnlySpan<byte> xml, int prefixStart, int prefixLength)
    {
        var prefix = xml.Slice(prefixStart, prefixLength);
        for (var i = _namespaceCount - 1; i >= 0; i--)
        {
            var declaration = _namespaces[i];
            if (ShortBytes.Equal(xml.Slice(declaration.PrefixStart, declaration.PrefixLength), prefix))
                return declaration.Uri;
        }
        return prefixLength == 0 ? "" : prefix.SequenceEqual("xml"u8) ? XmlNamespace : null;
    }

    private void CheckAttributeValue(ReadOnlySpan<byte> xml, int start, int length)
    {
        var value = xml.Slice(start, length);
        if (value.IndexOf((byte)'<') is var lt and >= 0)
            throw Error(start + lt, "'<' may not appear in an attribute value (XML 1.0 §3.1)");
        if (!Utf8.IsValid(value))
            throw Error(start, "an attribute value is not valid UTF-8");
        for (var i = value.IndexOf((byte)'&'); i >= 0;)
        {
            var reference = XmlReferences.Read(value[i..], out _);
            if (reference == 0)
                throw BadReference(xml, start + i);
            var next = value[(i + reference)..].IndexOf((byte)'&');
            i = next < 0 ? -1 : i + reference + next;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReadEndTag(ReadOnlySpan<byte> xml, int lt)
    {
        var nameStart = lt + 2;
        if (_openCount == 0)
            throw EndTagMismatch(xml, lt, null);
        var open = _open[_openCount - 1];
        var end = nameStart + open.NameLength;
        if (end > xml.Length)
            throw Truncated(xml);
        if (!ShortBytes.Equal(xml[nameStart..end], xml.Slice(open.NameStart, open.NameLength)) || Is(At(xml, end), XmlByteClasses.Name))
            throw EndTagMismatch(xml, lt, open);
        var p = SkipWhitespace(xml, end);
        if (At(xml, p) != '>')
            throw Unexpected(xml, p, "an end tag must end with '>'");
        CloseElement(open, p + 1);
    }

    /// <summary>Makes the end tag of the innermost open element the current node; <paramref name="next"/> is the position after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CloseElement(in OpenElement open, int next)
    {
        _openCount--;
        _nodeType = XmlNodeType.EndElement;
        _depth = _openCount;
        _localName = open.LocalName;
        _nameStart = open.NameStart;
        _nameLength = open.NameLength;
        _prefixLength = open.PrefixLength;
        _pos = next;
        if (_openCount == 0)
            _rootClosed = true;
    }

    /// <summary>Handles "&lt;!": skips a comment, reads a CDATA section (true), refuses a DTD.</summary>
    private bool ReadMarkupDeclaration(ReadOnlySpan<byte> xml, int lt)
    {
        var rest = xml[lt..];
        if (rest.StartsWith("<!--"u8))
        {
            var body = lt + 4;
            var dashes = xml[body..].IndexOf("--"u8);
            if (dashes < 0)
                throw Truncated(xml);
            if (At(xml, body + dashes + 2) != '>')
                throw Unexpected(xml, body + dashes + 2, "'--' may not appear inside a comment (XML 1.0 §2.5)");
            if (!Utf8.IsValid(xml.Slice(body, dashes)))
                throw Error(body, "a comment is not valid UTF-8");
            _pos = body + dashes + 3;
            return false;
        }
        if (rest.StartsWith("<![CDATA["u8))
        {
            ReadCData(xml, lt);
            return true;
        }
        if (rest.StartsWith("<!DOCTYPE"u8))
            throw Error(lt, "the XML carries a DTD (<!DOCTYPE>), which is refused: DTDs and entities allow XXE and entity-expansion attacks");
        if ("<!--"u8.StartsWith(rest) || "<![CDATA["u8.StartsWith(rest) || "<!DOCTYPE"u8.StartsWith(rest))
            throw Truncated(xml);
        throw Error(lt, "'<!' begins no comment, CDATA section or DTD");
    }

    private void ReadCData(ReadOnlySpan<byte> xml, int lt)
    {
        if (_openCount == 0)
            throw Error(lt, "a CDATA section outside the root element");
        var start = lt + "<![CDATA["u8.Length;
        var length = xml[start..].IndexOf("]]>"u8);
        if (length < 0)
            throw Truncated(xml);
        var data = xml.Slice(start, length);
        if (!Utf8.IsValid(data))
            throw Error(start, "a CDATA section is not valid UTF-8");
        _valueForm = data.Contains((byte)'\r') ? ValueForm.Escaped : ValueForm.Utf8;
        _nodeType = XmlNodeType.CDATA;
        _depth = _openCount;
        _localName = "";
        _valueStart = start;
        _valueLength = length;
        _pos = start + length + 3;
    }

    /// <summary>Skips a processing instruction, and the XML declaration where it belongs (XML 1.0 §2.6, §2.8).</summary>
    private void SkipProcessingInstruction(ReadOnlySpan<byte> xml, int lt)
    {
        var targetStart = lt + 2;
        var target = xml.Slice(targetStart, NameLength(xml, targetStart));
        if (target.Length == 3 && (target[0] | 0x20) == 'x' && (target[1] | 0x20) == 'm' && (target[2] | 0x20) == 'l'
            && !(lt == _documentStart && target.SequenceEqual("xml"u8)))
            throw Error(lt, "an XML declaration ('<?xml') must open the document, and 'xml' names no processing instruction (XML 1.0 §2.6, §2.8)");
        var p = targetStart + target.Length;
        var c = At(xml, p);
        if (c != '?' && !IsWhitespace(c))
            throw Unexpected(xml, p, "a processing instruction's target must be followed by whitespace or '?>'");
        var end = xml[p..].IndexOf("?>"u8);
        if (end < 0)
            throw Truncated(xml);
        if (!Utf8.IsValid(xml.Slice(p, end)))
            throw Error(lt, "a processing instruction is not valid UTF-8");
        _pos = p + end + 2;
    }

    private bool End(ReadOnlySpan<byte> xml)
    {
        if (_openCount > 0)
            throw Truncated(xml);
        if (!_rootSeen)
            throw Error(xml.Length, "the XML has no root element");
        _nodeType = XmlNodeType.None;
        _depth = 0;
        _localName = "";
        _nodeStart = xml.Length;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string DecodeValue()
    {
        var raw = _xml.AsSpan(_valueStart, _valueLength);
        if (_valueForm == ValueForm.Ascii && raw.Length <= AsciiValueCache.MaxLength)
            return _values.Get(raw);
        if (_valueForm != ValueForm.Escaped)
            return Encoding.UTF8.GetString(raw);
        if (_scratch.Length < raw.Length)
            _scratch = new char[Math.Max(raw.Length, _scratch.Length * 2)];
        return new string(_scratch, 0, XmlCharacterData.Decode(raw, references: _nodeType == XmlNodeType.Text, _scratch));
    }

    /// <summary>The length of the name at <paramref name="start"/>, which must be there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int NameLength(ReadOnlySpan<byte> xml, int start)
    {
        var first = At(xml, start);
        if (first < 0)
            throw Truncated(xml);
        if (!Is(first, XmlByteClasses.NameStart))
            throw CannotStartName(start, first);
        var end = Skip(xml, start, XmlByteClasses.Name);
        if (end == xml.Length)
            throw Truncated(xml);
        return end - start;
    }

    private static ReadOnlySpan<byte> NameAt(ReadOnlySpan<byte> xml, int start)
    {
        start = Math.Min(start, xml.Length);
        return xml[start..Skip(xml, start, XmlByteClasses.Name)];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> xml, int p) => Skip(xml, p, XmlByteClasses.Whitespace);

    /// <summary>The position of the first byte from <paramref name="p"/> on that is not of the class, or the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Skip(ReadOnlySpan<byte> xml, int p, byte byteClass)
    {
        var classes = XmlByteClasses.Table;
        while ((uint)p < (uint)xml.Length && (classes[xml[p]] & byteClass) != 0)
            p++;
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int At(ReadOnlySpan<byte> xml, int i) => (uint)i < (uint)xml.Length ? xml[i] : -1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Is(int c, byte byteClass) => c >= 0 && (XmlByteClasses.Table[c] & byteClass) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWhitespace(int c) => Is(c, XmlByteClasses.Whitespace);

    /// <summary>The line of byte <paramref name="offset"/>, counting on from the last answer (a forward reader asks in order).</summary>
    private int LineAt(int offset)
    {
        var xml = _xml.AsSpan();
        offset = Math.Min(offset, xml.Length);
        if (offset < _lineOffset)
            (_lineOffset, _line) = (0, 1);
        var span = xml[_lineOffset..offset];
        var lines = span.Count((byte)'\n');
        // A lone CR ends a line too (XML 1.0 §2.11).
        for (var cr = span.IndexOf((byte)'\r'); cr >= 0;)
        {
            if (At(xml, _lineOffset + cr + 1) != '\n')
                lines++;
            var next = span[(cr + 1)..].IndexOf((byte)'\r');
            cr = next < 0 ? -1 : cr + 1 + next;
        }
        _line += lines;
        _lineOffset = offset;
        return _line;
    }

    private XmlSyntaxException Error(int offset, string message) => new(message, LineAt(offset));

    private XmlSyntaxException AboutElement(int lt, ReadOnlySpan<byte> name, string before, string after) =>
        Error(lt, $"{before}<{Text(name)}>{after}");

    private XmlSyntaxException CannotStartName(int offset, int first) => Error(offset, $"{Describe(first)} cannot start a name");

    private XmlSyntaxException EndTagMismatch(ReadOnlySpan<byte> xml, int lt, OpenElement? open)
    {
        var name = NameAt(xml, lt + 2);
        if (lt + 2 + name.Length >= xml.Length)
            return Truncated(xml);
        return open is { } o
            ? Error(lt, $"the end tag </{Text(name)}> does not match the start tag <{Text(xml.Slice(o.NameStart, o.NameLength))}> of line {LineAt(o.NameStart)}")
            : Error(lt, $"the end tag </{Text(name)}> closes no open element");
    }

    private XmlSyntaxException Unexpected(ReadOnlySpan<byte> xml, int offset, string message) =>
        offset >= xml.Length ? Truncated(xml) : Error(offset, $"{message}, not {Describe(xml[offset])}");

    private XmlSyntaxException Truncated(ReadOnlySpan<byte> xml)
    {
        OpenElement? open = _openCount == 0 ? null : _open[_openCount - 1];
        return Error(xml.Length, "the XML ends before the document is complete (truncated?)"
            + (open is { } o ? $": <{Text(xml.Slice(o.NameStart, o.NameLength))}> of line {LineAt(o.NameStart)} is not closed" : ""));
    }

    private XmlSyntaxException BadReference(ReadOnlySpan<byte> xml, int amp)
    {
        var rest = xml[amp..];
        var semicolon = rest[..Math.Min(rest.Length, 24)].IndexOf((byte)';');
        var shown = Text(rest[..(semicolon < 0 ? Math.Min(rest.Length, 12) : semicolon + 1)]);
        return Error(amp, $"'{shown}' is neither one of XML's five predefined entities (&lt; &gt; &amp; &quot; &apos;) nor a "
            + "character reference to a Unicode character (XML 1.0 §4.1, §4.6); other entities would need a DTD");
    }

    private static string Describe(int c) =>
        c < 0 ? "the end" : c is > ' ' and < 0x7F ? $"'{(char)c}'" : $"byte 0x{c:X2}";

    /// <summary>Bytes of the document shown in a message, shortened.</summary>
    private static string Text(ReadOnlySpan<byte> bytes) =>
        bytes.Length <= 60 ? Encoding.UTF8.GetString(bytes) : Encoding.UTF8.GetString(bytes[..60]) + "…";
}
