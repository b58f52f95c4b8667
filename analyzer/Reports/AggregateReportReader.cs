using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Xml;
using DmarcAnalyzer.Xml;

namespace DmarcAnalyzer.Reports;

/// <summary>
/// Streaming reader for DMARC aggregate reports: RFC 7489 Appendix C, RFC 9990 (namespace
/// <c>urn:ietf:params:xml:ns:dmarc-2.0</c>) and what real reporters send. Opening it reads the header
/// (metadata and published policy); the records then stream one at a time, so a report of millions of
/// records is never held whole. Elements are matched by local name whatever their namespace; unknown
/// elements (extensions, stray tags) are skipped; values are trimmed and enumerations lower-cased. DTDs are
/// refused and nothing is resolved (XXE, entity bombs). Every method throws <see cref="ReportFormatException"/>.
/// </summary>
internal sealed class AggregateReportReader
{
    private readonly Utf8XmlReader _reader;
    private readonly ReportReadLimits _limits;
    private ChildWalk _feedback;
    private const int MaxEarlyRecords = 10_000;

    /// <summary>Records that came before the header was complete (out of the schema's order).</summary>
    private readonly Queue<ReportRecord> _early = new();
    private int _records;
    private readonly RecordScratch _scratch = new();

    /// <summary>
    /// Lists reused from one record to the next: a record keeps exact arrays of its results (a list and its
    /// spare capacity per kind per record were a third of what a large report allocated).
    /// </summary>
    private sealed class RecordScratch
    {
        public readonly List<PolicyOverride> Reasons = [];
        public readonly List<DkimAuthResult> Dkim = [];
        public readonly List<SpfAuthResult> Spf = [];

        public void Clear()
        {
            Reasons.Clear();
            Dkim.Clear();
            Spf.Clear();
        }
    }

    public ReportHeader Header { get; }

    private AggregateReportReader(Utf8XmlReader reader, ReportReadLimits limits)
    {
        _reader = reader;
        _limits = limits;
        FindFeedback(reader, limits);
        var ns = reader.NamespaceURI.Length == 0 ? null : reader.NamespaceURI;
        // Stop at </feedback>: a generator bug wraps the report in an unclosed <xs:schema> start tag,
        // which would otherwise make the whole document ill-formed at its very end.
        _feedback = new ChildWalk(reader, limits, readPastEnd: false);
        string? version = null;
        MetadataBuilder? metadata = null;
        PolicyPublished? policy = null;
        while ((metadata is null || policy is null) && _feedback.Next(out var name))
        {
            switch (name)
            {
                case "version": version = Text(reader, limits); break;
                case "report_metadata": metadata = ReadMetadata(reader, limits); break;
                case "policy_published": policy = ReadPolicy(reader, limits); break;
                case "record":
                    // Held until the header is complete, so only a few: the schema puts the header first.
                    if (_early.Count == MaxEarlyRecords)
                        throw new ReportFormatException($"more than {MaxEarlyRecords:N0} records come before <report_metadata> and <policy_published>");
                    _early.Enqueue(ReadRecordCounted());
                    break;
                default: Skip(reader, limits); break;
            }
        }
        if (metadata is null)
            throw new ReportFormatException("the report has no <report_metadata>");
        if (policy is null)
            throw new ReportFormatException("the report has no <policy_published>");
        Header = new ReportHeader(metadata.Build(), policy, version, ns);
    }

    public static AggregateReportReader Open(ReadOnlyMemory<byte> xml, ReportReadLimits limits)
    {
        ReadOnlyMemory<byte> utf8;
        try
        {
            utf8 = XmlUtf8.From(xml);
        }
        catch (XmlEncodingException e)
        {
            throw new ReportFormatException(e.Message, e);
        }
        return OpenUtf8(utf8, limits);
    }

    /// <summary>Opens a report already brought to UTF-8 by <see cref="XmlUtf8.From"/>.</summary>
    public static AggregateReportReader OpenUtf8(ReadOnlyMemory<byte> utf8, ReportReadLimits limits)
    {
        if (utf8.IsEmpty)
            throw new ReportFormatException("the input is empty (0 bytes)");
        try
        {
            return new AggregateReportReader(new Utf8XmlReader(utf8), limits);
        }
        catch (XmlSyntaxException e)
        {
            throw Explain(e);
        }
    }

    /// <summary>The records, in document order, each read as it is asked for.</summary>
    public IEnumerable<ReportRecord> ReadRecords()
    {
        while (_early.TryDequeue(out var early))
            yield return early;
        while (NextRecord() is { } record)
            yield return record;
    }

    private ReportRecord? NextRecord()
    {
        try
        {
            while (_feedback.Next(out var name))
            {
                if (name == "record")
                    return ReadRecordCounted();
                Skip(_reader, _limits);
            }
            return null;
        }
        catch (XmlSyntaxException e)
        {
            throw Explain(e);
        }
    }

    private ReportRecord ReadRecordCounted()
    {
        if (++_records > _limits.MaxRecords)
            throw new ReportFormatException($"the report has more than {_limits.MaxRecords:N0} records");
        return ReadRecord(_reader, _limits, _records, _scratch);
    }

    /// <summary>Utf8XmlReader's messages name the problem; most begin "the XML ...", the rest get that beginning here.</summary>
    private static ReportFormatException Explain(XmlSyntaxException e) =>
        new(e.Message.StartsWith("the XML ", StringComparison.Ordinal) ? e.Message : $"the XML is not well-formed: {e.Message}", e);

    /// <summary>Moves the reader onto the &lt;feedback&gt; start tag, looking past one stray wrapper element.</summary>
    private static void FindFeedback(Utf8XmlReader r, ReportReadLimits limits)
    {
        string? root = null;
        while (r.Read())
        {
            if (r.NodeType != XmlNodeType.Element)
                continue;
            if (r.Depth > limits.MaxXmlDepth)
                throw new ReportFormatException($"the XML nests deeper than {limits.MaxXmlDepth} levels");
            if (r.LocalName == "feedback")
                return;
            root ??= Shorten(r.Name);
            if (r.Depth >= 2)
                Skip(r, limits);
        }
        throw new ReportFormatException(root is null
            ? "the XML has no elements"
            : $"the XML's root element is <{root}>, not <feedback>: not a DMARC aggregate report");
    }

    private sealed class MetadataBuilder
    {
        public string? OrgName, Email, ExtraContact, ReportId, Generator;
        public DateTimeOffset? Begin, End;
        public readonly List<string> Errors = [];

        public ReportMetadata Build()
        {
            if (string.IsNullOrEmpty(ReportId))
                throw new ReportFormatException("the report has no <report_id>");
            if (Begin is null || End is null)
                throw new ReportFormatException("the report has no complete <date_range> (<begin> and <end>)");
            // Some reporters leave org_name empty; the contact address still names them.
            var org = !string.IsNullOrEmpty(OrgName) ? OrgName
                : Email?.Split('@') is [_, var domain] && domain.Length > 0 ? domain.ToLowerInvariant()
                : "(unnamed reporter)";
            return new ReportMetadata(org, Email, ExtraContact, ReportId, Begin.Value, End.Value, Errors, Generator);
        }
    }

    private static MetadataBuilder ReadMetadata(Utf8XmlReader r, ReportReadLimits limits)
    {
        var m = new MetadataBuilder();
        for (var children = new ChildWalk(r, limits); children.Next(out var name);)
        {
            switch (name)
            {
                case "org_name": m.OrgName = Text(r, limits); break;
                case "email": m.Email = NullIfEmpty(Text(r, limits)); break;
                case "extra_contact_info": m.ExtraContact = NullIfEmpty(Text(r, limits)); break;
                case "report_id": m.ReportId = Text(r, limits); break;
                case "generator": m.Generator = NullIfEmpty(Text(r, limits)); break;
                case "error":
                    if (NullIfEmpty(Text(r, limits)) is { } error)
                        m.Errors.Add(error);
                    break;
                case "date_range":
                    for (var parts = new ChildWalk(r, limits); parts.Next(out var part);)
                    {
                        if (part == "begin") m.Begin = Timestamp(Text(r, limits), "begin");
                        else if (part == "end") m.End = Timestamp(Text(r, limits), "end");
                        else Skip(r, limits);
                    }
                    break;
                default: Skip(r, limits); break;
            }
        }
        return m;
    }

    private static PolicyPublished ReadPolicy(Utf8XmlReader r, ReportReadLimits limits)
    {
        string? domain = null, adkim = null, aspf = null, p = null, sp = null, np = null, fo = null,
            testing = null, discovery = null, psd = null;
        int? pct = null;
        for (var children = new ChildWalk(r, limits); children.Next(out var name);)
        {
            switch (name)
            {
                case "domain": domain = PolicyDomain(Text(r, limits)); break;
                case "adkim": adkim = Word(Text(r, limits)); break;
                case "aspf": aspf = Word(Text(r, limits)); break;
                case "p": p = Word(Text(r, limits)); break;
                case "sp": sp = Word(Text(r, limits)); break;
                case "np": np = Word(Text(r, limits)); break;
                case "pct": pct = int.TryParse(Text(r, limits), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null; break;
                case "fo": fo = NullIfEmpty(Text(r, limits)); break;
                case "testing": testing = Word(Text(r, limits)); break;
                case "discovery_method": discovery = Word(Text(r, limits)); break;
                case "psd": psd = Word(Text(r, limits)); break;
                default: Skip(r, limits); break;
            }
        }
        if (string.IsNullOrEmpty(domain))
            throw new ReportFormatException("<policy_published> has no <domain>");
        return new PolicyPublished(domain, adkim, aspf, p, sp, np, pct, fo, testing, discovery, psd);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ReportRecord ReadRecord(Utf8XmlReader r, ReportReadLimits limits, int number, RecordScratch scratch)
    {
        string sourceIp = "";
        long count = 0;
        string? disposition = null, dkimEval = null, spfEval = null, headerFrom = null, envelopeFrom = null, envelopeTo = null;
        scratch.Clear();
        var (reasons, dkim, spf) = (scratch.Reasons, scratch.Dkim, scratch.Spf);
        for (var children = new ChildWalk(r, limits); children.Next(out var name);)
        {
            switch (name)
            {
                case "row":
                    for (var fields = new ChildWalk(r, limits); fields.Next(out var field);)
                    {
                        switch (field)
                        {
                            case "source_ip": sourceIp = IpAddress(Text(r, limits)); break;
                            case "count": count = Count(Text(r, limits), number); break;
                            case "header_from": headerFrom = Domain(Text(r, limits)); break;
                            case "policy_evaluated":
                                for (var evaluated = new ChildWalk(r, limits); evaluated.Next(out var e);)
                                {
                                    switch (e)
                                    {
                                        case "disposition": disposition = Word(Text(r, limits)); break;
                                        case "dkim": dkimEval = Word(Text(r, limits)); break;
                                        case "spf": spfEval = Word(Text(r, limits)); break;
                                        case "reason": if (ReadReason(r, limits) is { } reason) reasons.Add(reason); break;
                                        default: Skip(r, limits); break;
                                    }
                                }
                                break;
                            default: Skip(r, limits); break;
                        }
                    }
                    break;
                case "identifiers":
                    for (var fields = new ChildWalk(r, limits); fields.Next(out var field);)
                    {
                        switch (field)
                        {
                            case "header_from": headerFrom = Domain(Text(r, limits)); break;
                            case "envelope_from": envelopeFrom = Domain(Text(r, limits)); break;
                            case "envelope_to": envelopeTo = Domain(Text(r, limits)); break;
                            default: Skip(r, limits); break;
                        }
                    }
                    break;
                case "auth_results":
                    for (var methods = new ChildWalk(r, limits); methods.Next(out var method);)
                    {
                        if (method == "dkim") { if (ReadDkim(r, limits) is { } d) dkim.Add(d); }
                        else if (method == "spf") { if (ReadSpf(r, limits) is { } s) spf.Add(s); }
                        else Skip(r, limits);
                    }
                    break;
                default: Skip(r, limits); break;
            }
        }
        return new ReportRecord(sourceIp, count, disposition, dkimEval, spfEval, Exact(reasons),
            headerFrom, envelopeFrom, envelopeTo, Exact(dkim), Exact(spf));
    }

    private static PolicyOverride? ReadReason(Utf8XmlReader r, ReportReadLimits limits)
    {
        string? type = null, comment = null;
        for (var children = new ChildWalk(r, limits); children.Next(out var name);)
        {
            if (name == "type") type = Word(Text(r, limits));
            else if (name == "comment") comment = NullIfEmpty(Text(r, limits));
            else Skip(r, limits);
        }
        return type is null && comment is null ? null : new PolicyOverride(type ?? "other", comment);
    }

    private static DkimAuthResult? ReadDkim(Utf8XmlReader r, ReportReadLimits limits)
    {
        string? domain = null, selector = null, result = null, human = null;
        for (var children = new ChildWalk(r, limits); children.Next(out var name);)
        {
            switch (name)
            {
                case "domain": domain = Domain(Text(r, limits)); break;
                case "selector": selector = NullIfEmpty(Text(r, limits)); break;
                case "result": result = Word(Text(r, limits)); break;
                case "human_result": human = NullIfEmpty(Text(r, limits)); break;
                default: Skip(r, limits); break;
            }
        }
        return domain is null && result is null ? null : new DkimAuthResult(domain ?? "", selector, result ?? "none", human);
    }

    private static SpfAuthResult? ReadSpf(Utf8XmlReader r, ReportReadLimits limits)
    {
        string? domain = null, scope = null, result = null, human = null;
        for (var children = new ChildWalk(r, limits); children.Next(out var name);)
        {
            switch (name)
            {
                case "domain": domain = Domain(Text(r, limits)); break;
                case "scope": scope = Word(Text(r, limits)); break;
                case "result": result = Word(Text(r, limits)); break;
                case "human_result": human = NullIfEmpty(Text(r, limits)); break;
                default: Skip(r, limits); break;
            }
        }
        return domain is null && result is null ? null : new SpfAuthResult(domain ?? "", scope, result ?? "none", human);
    }

    /// <summary>
    /// Walks the child elements of the element the reader is on: each <see cref="Next"/> leaves the reader on a
    /// child's start tag, and the caller consumes the child (Text, Skip or a nested walk). Text between
    /// children (stray characters after a value) is ignored. A struct, not an iterator: the hot loop of a large
    /// report allocates nothing per element.
    /// </summary>
    private struct ChildWalk
    {
        private readonly Utf8XmlReader _r;
        private readonly ReportReadLimits _limits;
        private readonly bool _readPastEnd;
        /// <summary>The parent's depth, or -1 once its end tag is reached.</summary>
        private int _depth;

        public ChildWalk(Utf8XmlReader r, ReportReadLimits limits, bool readPastEnd = true)
        {
            _r = r;
            _limits = limits;
            _readPastEnd = readPastEnd;
            _depth = r.IsEmptyElement ? -1 : r.Depth;
            if (_depth >= 0 || readPastEnd)
                r.Read();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool Next(out string name)
        {
            name = "";
            while (_depth >= 0)
            {
                if (_r.NodeType == XmlNodeType.EndElement && _r.Depth == _depth)
                {
                    _depth = -1;
                    if (_readPastEnd)
                        _r.Read();
                    return false;
                }
                if (_r.NodeType == XmlNodeType.None)
                    throw new ReportFormatException("the XML ends before the document is complete (truncated?)");
                if (_r.NodeType == XmlNodeType.Element)
                {
                    if (_r.Depth > _limits.MaxXmlDepth)
                        throw new ReportFormatException($"the XML nests deeper than {_limits.MaxXmlDepth} levels");
                    name = _r.LocalName;
                    return true;
                }
                _r.Read();
            }
            return false;
        }
    }

    /// <summary>Longer values are refused before they become strings: extra_contact_info, a comment or an error is a line or two.</summary>
    private const int MaxValueBytes = 64 * 1024;

    /// <summary>The trimmed text of the element the reader is on; child elements inside it are skipped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string Text(Utf8XmlReader r, ReportReadLimits limits)
    {
        if (r.IsEmptyElement)
        {
            r.Read();
            return "";
        }
        if (r.TryReadTextContent(MaxValueBytes, out var plain))
        {
            r.Read();
            return plain.Trim();
        }
        var depth = r.Depth;
        var length = 0L;
        string? single = null;
        StringBuilder? many = null;
        r.Read();
        while (!(r.NodeType == XmlNodeType.EndElement && r.Depth == depth))
        {
            switch (r.NodeType)
            {
                case XmlNodeType.None:
                    throw new ReportFormatException("the XML ends before the document is complete (truncated?)");
                case XmlNodeType.Text or XmlNodeType.CDATA:
                    length += r.ValueByteLength;
                    if (length > MaxValueBytes)
                        throw new ReportFormatException($"line {r.LineNumber}: a value longer than {MaxValueBytes / 1024} KB, more than any field of a report needs");
                    if (single is null) single = r.Value;
                    else (many ??= new StringBuilder(single)).Append(r.Value);
                    r.Read();
                    break;
                default:
                    // An element inside a value: skipped (Utf8XmlReader gives no other kind of node here).
                    Skip(r, limits);
                    break;
            }
        }
        r.Read();
        return (many?.ToString() ?? single ?? "").Trim();
    }

    /// <summary>Skips the element the reader is on, bounded in depth (XmlReader.Skip is not).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Skip(Utf8XmlReader r, ReportReadLimits limits)
    {
        if (r.IsEmptyElement)
        {
            r.Read();
            return;
        }
        var depth = r.Depth;
        while (r.Read())
        {
            if (r.NodeType == XmlNodeType.EndElement && r.Depth == depth)
            {
                r.Read();
                return;
            }
            if (r.Depth > limits.MaxXmlDepth)
                throw new ReportFormatException($"the XML nests deeper than {limits.MaxXmlDepth} levels");
        }
        throw new ReportFormatException("the XML ends before the document is complete (truncated?)");
    }

    private static T[] Exact<T>(List<T> items) => items.Count == 0 ? [] : items.ToArray();

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static string? Word(string value) => value.Length == 0 ? null : value.ToLowerInvariant();

    private static string? Domain(string value) => value.Length == 0 ? null : value.TrimEnd('.').ToLowerInvariant();

    private static string? PolicyDomain(string value)
    {
        var domain = Domain(value);
        if (domain is not null && !DomainName.IsValid(domain))
            throw new ReportFormatException($"<policy_published><domain> '{Shorten(value)}' is not a domain name");
        return domain;
    }

    /// <remarks>What is not an address is kept as written (reporters send empty ones): outputs neutralise it as any text.</remarks>
    private static string IpAddress(string value)
    {
        // Most sources are IPv4 already written as IPAddress would write them: kept as they are, without parsing.
        if (IsCanonicalIPv4(value))
            return value;
        if (!IPAddress.TryParse(value, out var ip))
            return value;
        return (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString();
    }

    /// <summary>Four decimal octets of 0 to 255 without leading zeros: the form IPAddress.ToString gives.</summary>
    private static bool IsCanonicalIPv4(string value)
    {
        int octets = 0, digits = 0, octet = 0;
        foreach (var c in value)
        {
            if (c == '.')
            {
                if (digits == 0 || ++octets == 4)
                    return false;
                digits = octet = 0;
            }
            else if (c is >= '0' and <= '9' && !(digits == 1 && octet == 0))
            {
                octet = octet * 10 + (c - '0');
                if (++digits > 3 || octet > 255)
                    return false;
            }
            else
                return false;
        }
        return octets == 3 && digits > 0;
    }

    private static long Count(string value, int record) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= ReportCount.Max
            ? n
            : throw new ReportFormatException($"record {record}: <count> '{Shorten(value)}' is not a whole number from 0 to {ReportCount.Max:N0}");

    private static DateTimeOffset Timestamp(string value, string what)
    {
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            && seconds is >= 0 and < 253402300800)
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            return date.ToUniversalTime();
        throw new ReportFormatException($"<date_range> <{what}> '{Shorten(value)}' is neither Unix seconds nor a date");
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
