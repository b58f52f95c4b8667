using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DmarcAnalyzer.Dns;

/// <summary>
/// Reads a master file (RFC 1035 §5.1): <c>$ORIGIN</c>, <c>$TTL</c> (RFC 2308 §4), <c>$INCLUDE</c>, <c>@</c>,
/// relative names, omitted owner/TTL/class, parentheses across lines, comments, quoted strings, <c>\X</c> and
/// <c>\DDD</c> escapes. Keeps A, AAAA, TXT, MX, PTR and CNAME; other types (SOA, NS, ...) are read and skipped.
/// </summary>
internal static class ZoneFile
{
    private const long MaxFileBytes = 64L << 20;
    private const int MaxIncludeDepth = 8;
    private const int MaxRecords = 1_000_000;
    private const uint DefaultTtl = 3600;

    /// <summary>Loads <c>[ORIGIN=]PATH</c>: the origin, when given, is the one relative names start from.</summary>
    public static async Task<IReadOnlyList<DnsRecord>> LoadAsync(string source, CancellationToken ct)
    {
        var equals = source.IndexOf('=');
        var origin = equals > 0 ? DnsName.Normalize(source[..equals]) : "";
        var path = equals > 0 ? source[(equals + 1)..] : source;
        var records = new List<DnsRecord>();
        await LoadFileAsync(path, origin, records, 0, ct);
        return records;
    }

    public static IReadOnlyList<DnsRecord> Parse(string text, string origin = "")
    {
        var records = new List<DnsRecord>();
        var state = new State(DnsName.Normalize(origin), "(text)");
        foreach (var entry in Tokenize(Encoding.UTF8.GetBytes(text), state.File))
        {
            if (entry.Tokens[0].Text.Equals("$INCLUDE", StringComparison.OrdinalIgnoreCase) && !entry.Tokens[0].Quoted)
                throw state.Error(entry.Line, "$INCLUDE needs a file");
            Apply(entry, state, records);
        }
        return records;
    }

    private static async Task LoadFileAsync(string path, string origin, List<DnsRecord> records, int depth, CancellationToken ct)
    {
        if (depth > MaxIncludeDepth)
            throw new ZoneFileException($"{path}: $INCLUDE nested more than {MaxIncludeDepth} deep");
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new ZoneFileException($"{path}: no such file");
        if (info.Length > MaxFileBytes)
            throw new ZoneFileException($"{path}: larger than {MaxFileBytes >> 20} MiB");
        var bytes = await File.ReadAllBytesAsync(path, ct);
        var state = new State(origin, path);
        foreach (var entry in Tokenize(bytes, path))
        {
            var first = entry.Tokens[0];
            if (!first.Quoted && first.Text.Equals("$INCLUDE", StringComparison.OrdinalIgnoreCase))
            {
                if (entry.Tokens.Count < 2)
                    throw state.Error(entry.Line, "$INCLUDE needs a file");
                var included = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", entry.Tokens[1].Text);
                var includedOrigin = entry.Tokens.Count > 2 ? state.Absolute(entry.Tokens[2].Text, entry.Line) : state.Origin;
                await LoadFileAsync(included, includedOrigin, records, depth + 1, ct);
                continue;
            }
            Apply(entry, state, records);
        }
    }

    private static void Apply(Entry entry, State state, List<DnsRecord> records)
    {
        var tokens = entry.Tokens;
        var first = tokens[0];
        if (!first.Quoted && first.Text.StartsWith('$'))
        {
            if (tokens.Count < 2)
                throw state.Error(entry.Line, $"{first.Text} needs a value");
            switch (first.Text.ToUpperInvariant())
            {
                case "$ORIGIN":
                    state.Origin = state.Absolute(tokens[1].Text, entry.Line);
                    return;
                case "$TTL":
                    state.DefaultTtl = ParseTtl(tokens[1].Text) ?? throw state.Error(entry.Line, $"bad TTL '{tokens[1].Text}'");
                    return;
                default:
                    throw state.Error(entry.Line, $"unknown directive {first.Text}");
            }
        }

        var at = 0;
        if (!entry.OwnerOmitted)
        {
            state.Owner = state.Absolute(first.Text, entry.Line);
            at = 1;
        }
        var owner = state.Owner ?? throw state.Error(entry.Line, "record without an owner name");

        // TTL and class may come in either order before the type (RFC 1035 §5.1).
        uint? ttl = null;
        for (var i = 0; i < 2 && at < tokens.Count; i++)
        {
            if (ParseTtl(tokens[at].Text) is { } t)
            {
                ttl = t;
                at++;
            }
            else if (tokens[at].Text.ToUpperInvariant() is "IN" or "CH" or "HS" or "CS")
            {
                if (!tokens[at].Text.Equals("IN", StringComparison.OrdinalIgnoreCase))
                    throw state.Error(entry.Line, $"class {tokens[at].Text} is not supported");
                at++;
            }
        }
        if (at >= tokens.Count)
            throw state.Error(entry.Line, "record without a type");
        if (ttl is { } explicitTtl)
            state.LastTtl = explicitTtl;
        var recordTtl = ttl ?? state.DefaultTtl ?? state.LastTtl ?? DefaultTtl;
        var type = tokens[at++].Text.ToUpperInvariant();
        var rdata = tokens.Skip(at).ToList();

        DnsRecord? record = type switch
        {
            "A" => Address(owner, recordTtl, rdata, AddressFamily.InterNetwork, state, entry.Line),
            "AAAA" => Address(owner, recordTtl, rdata, AddressFamily.InterNetworkV6, state, entry.Line),
            "TXT" => Txt(owner, recordTtl, rdata, state, entry.Line),
            "MX" => Mx(owner, recordTtl, rdata, state, entry.Line),
            "PTR" => new DnsRecord(owner, DnsType.Ptr, recordTtl, Target(rdata, state, entry.Line)),
            "CNAME" => new DnsRecord(owner, DnsType.Cname, recordTtl, Target(rdata, state, entry.Line)),
            _ => null,
        };
        if (record is null)
            return;
        if (records.Count >= MaxRecords)
            throw state.Error(entry.Line, $"more than {MaxRecords} records");
        records.Add(record);
    }

    private static DnsRecord Address(string owner, uint ttl, List<Token> rdata, AddressFamily family, State state, int line)
    {
        if (rdata.Count != 1 || !IPAddress.TryParse(rdata[0].Text, out var address) || address.AddressFamily != family)
            throw state.Error(line, $"bad {(family == AddressFamily.InterNetwork ? "A" : "AAAA")} address '{string.Join(' ', rdata.Select(t => t.Text))}'");
        return DnsRecord.Of(owner, ttl, address);
    }

    private static DnsRecord Txt(string owner, uint ttl, List<Token> rdata, State state, int line)
    {
        if (rdata.Count == 0)
            throw state.Error(line, "TXT record without a string");
        var joined = new List<byte>();
        foreach (var token in rdata)
        {
            if (token.Bytes.Length > 255)
                throw state.Error(line, "TXT string longer than 255 octets (split it into several quoted strings)");
            joined.AddRange(token.Bytes);
        }
        return new DnsRecord(owner, DnsType.Txt, ttl, Encoding.UTF8.GetString(joined.ToArray()));
    }

    private static DnsRecord Mx(string owner, uint ttl, List<Token> rdata, State state, int line)
    {
        if (rdata.Count != 2 || !ushort.TryParse(rdata[0].Text, NumberStyles.None, CultureInfo.InvariantCulture, out var preference))
            throw state.Error(line, "MX needs a preference and a host name");
        return new DnsRecord(owner, DnsType.Mx, ttl, state.Absolute(rdata[1].Text, line), Preference: preference);
    }

    private static string Target(List<Token> rdata, State state, int line) =>
        rdata.Count == 1 ? state.Absolute(rdata[0].Text, line) : throw state.Error(line, "expected one host name");

    /// <summary>A TTL in seconds, or with BIND's units (1h30m, 2d, 1w).</summary>
    private static uint? ParseTtl(string text)
    {
        if (text.Length == 0 || !char.IsAsciiDigit(text[0]))
            return null;
        ulong total = 0, number = 0;
        var sawUnit = false;
        foreach (var c in text.ToLowerInvariant())
        {
            if (char.IsAsciiDigit(c))
            {
                number = number * 10 + (ulong)(c - '0');
                if (number > uint.MaxValue)
                    return null;
                continue;
            }
            ulong unit = c switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, 'w' => 604800, _ => 0 };
            if (unit == 0)
                return null;
            total += number * unit;
            number = 0;
            sawUnit = true;
        }
        if (!sawUnit || number > 0)
            total += number;
        return total > int.MaxValue ? null : (uint)total;
    }

    private sealed record Token(byte[] Bytes, bool Quoted)
    {
        public string Text { get; } = Encoding.UTF8.GetString(Bytes);
    }

    private sealed record Entry(List<Token> Tokens, bool OwnerOmitted, int Line);

    /// <summary>Splits the file into entries: parentheses join lines, comments and quotes are honoured.</summary>
    private static List<Entry> Tokenize(byte[] data, string file)
    {
        var entries = new List<Entry>();
        var tokens = new List<Token>();
        var current = new List<byte>();
        var inToken = false;
        var depth = 0;
        var line = 1;
        var entryLine = 1;
        var ownerOmitted = false;
        var atLineStart = true;

        void EndToken(bool quoted)
        {
            if (inToken || quoted)
                tokens.Add(new Token(current.ToArray(), quoted));
            current.Clear();
            inToken = false;
        }

        void EndEntry()
        {
            EndToken(false);
            if (tokens.Count > 0)
                entries.Add(new Entry(tokens, ownerOmitted, entryLine));
            tokens = [];
            ownerOmitted = false;
        }

        var i = 0;
        while (i < data.Length)
        {
            var b = data[i];
            if (atLineStart && depth == 0)
            {
                atLineStart = false;
                entryLine = line;
                ownerOmitted = b is (byte)' ' or (byte)'\t';
            }
            switch (b)
            {
                case (byte)';':
                    EndToken(false);
                    while (i < data.Length && data[i] != '\n')
                        i++;
                    continue;
                case (byte)'\n':
                    line++;
                    i++;
                    if (depth == 0)
                    {
                        EndEntry();
                        atLineStart = true;
                    }
                    else
                        EndToken(false);
                    continue;
                case (byte)' ' or (byte)'\t' or (byte)'\r':
                    EndToken(false);
                    i++;
                    continue;
                case (byte)'(':
                    EndToken(false);
                    depth++;
                    i++;
                    continue;
                case (byte)')':
                    EndToken(false);
                    if (--depth < 0)
                        throw new ZoneFileException($"{file}:{line}: ')' without '('");
                    i++;
                    continue;
                case (byte)'"':
                    EndToken(false);
                    i++;
                    while (true)
                    {
                        if (i >= data.Length)
                            throw new ZoneFileException($"{file}:{line}: unterminated quoted string");
                        if (data[i] == '"')
                            break;
                        if (data[i] == '\n')
                            line++;
                        i = ReadChar(data, i, current, file, line);
                    }
                    i++;
                    EndToken(true);
                    continue;
                default:
                    inToken = true;
                    i = ReadChar(data, i, current, file, line);
                    continue;
            }
        }
        if (depth > 0)
            throw new ZoneFileException($"{file}:{line}: '(' never closed");
        EndEntry();
        return entries;
    }

    /// <summary>One character, with <c>\X</c> (X itself) and <c>\DDD</c> (the octet DDD) escapes (RFC 1035 §5.1).</summary>
    private static int ReadChar(byte[] data, int i, List<byte> into, string file, int line)
    {
        if (data[i] != '\\')
        {
            into.Add(data[i]);
            return i + 1;
        }
        if (i + 1 >= data.Length)
            throw new ZoneFileException($"{file}:{line}: '\\' at the end of the file");
        if (i + 3 < data.Length && IsDigit(data[i + 1]) && IsDigit(data[i + 2]) && IsDigit(data[i + 3]))
        {
            var value = (data[i + 1] - '0') * 100 + (data[i + 2] - '0') * 10 + (data[i + 3] - '0');
            if (value > 255)
                throw new ZoneFileException($"{file}:{line}: escape \\{value} is not an octet");
            into.Add((byte)value);
            return i + 4;
        }
        into.Add(data[i + 1]);
        return i + 2;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private sealed class State(string origin, string file)
    {
        public string Origin { get; set; } = origin;
        public string File { get; } = file;
        public string? Owner { get; set; }
        public uint? DefaultTtl { get; set; }
        public uint? LastTtl { get; set; }

        public string Absolute(string name, int line)
        {
            if (name == "@")
                return Origin.Length > 0 ? Origin : throw Error(line, "'@' without an origin");
            if (name.EndsWith('.'))
                return DnsName.Normalize(name);
            var absolute = Origin.Length > 0 ? $"{name}.{Origin}" : name;
            return absolute.ToLowerInvariant();
        }

        public ZoneFileException Error(int line, string message) => new($"{File}:{line}: {message}");
    }
}

internal sealed class ZoneFileException(string message) : Exception(message);
