using System.Globalization;
using System.Text;

namespace DmarcAnalyzer.Tests.Auth.Spf;

/// <summary>
/// Just enough YAML for the SPF test-suite files: documents split by "---", block mappings and sequences by
/// indentation, "- key: value" items, one-line flow sequences, plain (multi-line), single- and double-quoted
/// scalars (with \x escapes), and |/&gt; block scalars. Every scalar stays a string.
/// </summary>
internal static class MiniYaml
{
    public static List<Dictionary<string, object?>> LoadDocuments(string text)
    {
        var documents = new List<Dictionary<string, object?>>();
        var current = new List<string>();
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.TrimEnd() == "---")
            {
                Flush();
                continue;
            }
            current.Add(line);
        }
        Flush();
        return documents;

        void Flush()
        {
            var parser = new Parser(current.ToArray());
            if (parser.ParseNode(0) is Dictionary<string, object?> document)
                documents.Add(document);
            current.Clear();
        }
    }

    private sealed class Parser(string[] lines)
    {
        private int _at;

        public object? ParseNode(int minIndent)
        {
            if (!SkipBlank() || Indent(lines[_at]) < minIndent)
                return null;
            var indent = Indent(lines[_at]);
            return IsItem(lines[_at]) ? ParseSequence(indent) : ParseMapping(indent, new Dictionary<string, object?>());
        }

        private Dictionary<string, object?> ParseMapping(int indent, Dictionary<string, object?> map)
        {
            while (SkipBlank() && Indent(lines[_at]) == indent && !IsItem(lines[_at]))
            {
                var content = lines[_at].Trim();
                var (key, rest) = SplitKey(content) ?? throw new FormatException($"line {_at + 1}: expected 'key: value': {content}");
                _at++;
                map[key] = ParseValue(rest, indent);
            }
            return map;
        }

        private List<object?> ParseSequence(int indent)
        {
            var list = new List<object?>();
            while (SkipBlank() && Indent(lines[_at]) == indent && IsItem(lines[_at]))
            {
                var content = lines[_at].Trim()[1..].TrimStart();
                if (content.Length > 0 && content[0] is not ('"' or '\'' or '[') && SplitKey(content) is ({ } key, { } rest))
                {
                    _at++;
                    var map = new Dictionary<string, object?> { [key] = ParseValue(rest, indent + 2) };
                    list.Add(ParseMapping(indent + 2, map));
                    continue;
                }
                _at++;
                list.Add(ParseValue(content, indent));
            }
            return list;
        }

        private object? ParseValue(string rest, int indent)
        {
            rest = rest.Trim();
            if (rest.Length == 0)
            {
                if (!SkipBlank())
                    return null;
                var next = Indent(lines[_at]);
                if (next > indent || (next == indent && IsItem(lines[_at])))
                    return ParseNode(next);
                return null;
            }
            if (rest[0] is '|' or '>')
                return BlockScalar(indent, folded: rest[0] == '>');
            if (rest[0] == '[')
                return FlowSequence(rest);
            if (rest[0] is '"' or '\'')
                return Quoted(rest, out _);
            var value = new StringBuilder(StripComment(rest));
            while (_at < lines.Length && lines[_at].Trim().Length > 0 && Indent(lines[_at]) > indent && !lines[_at].TrimStart().StartsWith('#'))
                value.Append(' ').Append(lines[_at++].Trim());
            return value.ToString();
        }

        private string BlockScalar(int indent, bool folded)
        {
            var parts = new List<string>();
            while (_at < lines.Length && (lines[_at].Trim().Length == 0 || Indent(lines[_at]) > indent))
                parts.Add(lines[_at++].Trim());
            while (parts.Count > 0 && parts[^1].Length == 0)
                parts.RemoveAt(parts.Count - 1);
            return string.Join(folded ? " " : "\n", parts);
        }

        private static List<object?> FlowSequence(string text)
        {
            var items = new List<object?>();
            var at = 1;
            while (true)
            {
                while (at < text.Length && text[at] == ' ')
                    at++;
                if (at >= text.Length)
                    throw new FormatException($"unterminated flow sequence: {text}");
                if (text[at] == ']')
                    return items;
                if (text[at] is '"' or '\'')
                {
                    items.Add(Quoted(text[at..], out var used));
                    at += used;
                }
                else
                {
                    var end = text.IndexOfAny([',', ']'], at);
                    items.Add(text[at..end].Trim());
                    at = end;
                }
                while (at < text.Length && text[at] == ' ')
                    at++;
                if (at < text.Length && text[at] == ',')
                    at++;
            }
        }

        private static string Quoted(string text, out int used)
        {
            var quote = text[0];
            var sb = new StringBuilder();
            for (var i = 1; i < text.Length; i++)
            {
                var c = text[i];
                if (quote == '\'' && c == '\'')
                {
                    if (i + 1 < text.Length && text[i + 1] == '\'')
                    {
                        sb.Append('\'');
                        i++;
                        continue;
                    }
                    used = i + 1;
                    return sb.ToString();
                }
                if (quote == '"' && c == '"')
                {
                    used = i + 1;
                    return sb.ToString();
                }
                if (quote == '"' && c == '\\')
                {
                    var e = text[++i];
                    switch (e)
                    {
                        case 'x':
                            sb.Append((char)int.Parse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                            i += 2;
                            break;
                        case 'u':
                            sb.Append((char)int.Parse(text.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                            i += 4;
                            break;
                        default:
                            sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => e });
                            break;
                    }
                    continue;
                }
                sb.Append(c);
            }
            throw new FormatException($"unterminated quoted scalar: {text}");
        }

        private static (string Key, string Value)? SplitKey(string content)
        {
            if (content[0] is '"' or '\'')
            {
                var key = Quoted(content, out var used);
                var after = content[used..].TrimStart();
                return after.StartsWith(':') ? (key, after[1..]) : null;
            }
            var colon = content.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0)
                return (content[..colon].Trim(), content[(colon + 2)..]);
            return content.EndsWith(':') ? (content[..^1].Trim(), "") : null;
        }

        private static string StripComment(string plain)
        {
            var hash = plain.IndexOf(" #", StringComparison.Ordinal);
            return (hash >= 0 ? plain[..hash] : plain).TrimEnd();
        }

        private bool SkipBlank()
        {
            while (_at < lines.Length && (lines[_at].Trim().Length == 0 || lines[_at].TrimStart().StartsWith('#')))
                _at++;
            return _at < lines.Length;
        }

        private static bool IsItem(string line)
        {
            var trimmed = line.TrimStart();
            return trimmed == "-" || trimmed.StartsWith("- ", StringComparison.Ordinal);
        }

        private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;
    }
}
