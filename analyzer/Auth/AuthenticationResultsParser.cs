using System.Text;

namespace DmarcAnalyzer.Auth;

/// <summary>One resinfo: method=result (reason) ptype.property=value ... (RFC 8601 §2.2).</summary>
internal sealed record AuthenticationResult(string Method, string Result, string? Reason, IReadOnlyList<(string Property, string Value)> Properties);

/// <summary>A parsed Authentication-Results value.</summary>
internal sealed record AuthenticationResultsHeader(string AuthservId, IReadOnlyList<AuthenticationResult> Results);

/// <summary>
/// Reads Authentication-Results values well enough to tell whose they are and what they say (RFC 8601 §2.2):
/// comments (nested), quoted strings, an optional version after the authserv-id, "none" for no results.
/// </summary>
internal static class AuthenticationResultsParser
{
    private const int MaxResults = 100;

    /// <summary>Parses a field value; null when not even an authserv-id can be read.</summary>
    public static AuthenticationResultsHeader? Parse(string value)
    {
        var tokens = Tokenize(value);
        if (tokens is null || tokens.Count == 0 || tokens[0].Kind != TokenKind.Word)
            return null;
        var authservId = tokens[0].Text;
        var i = 1;
        // authserv-id [ CFWS authres-version ]
        if (i < tokens.Count && tokens[i].Kind == TokenKind.Word && tokens[i].Text.All(char.IsAsciiDigit))
            i++;
        var results = new List<AuthenticationResult>();
        while (i < tokens.Count && results.Count < MaxResults)
        {
            if (tokens[i].Kind != TokenKind.Semicolon)
                break;
            i++;
            if (i >= tokens.Count)
                break;
            var entry = ReadResult(tokens, ref i);
            if (entry is null)
                break;
            results.Add(entry);
        }
        return new AuthenticationResultsHeader(authservId, results);
    }

    /// <summary>
    /// True when the field claims <paramref name="authservId"/> (compared without case, RFC 8601 §5). Only the
    /// authserv-id is read, so a forged field that is malformed further on (an unclosed comment or quote) is
    /// still recognised and removed: downstream readers may be more lenient than we are.
    /// </summary>
    public static bool Claims(string value, string authservId) =>
        LeadingAuthservId(value)?.Equals(authservId, StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The authserv-id: after leading white space and comments, a quoted string or the run up to white space, ';' or '('.</summary>
    private static string? LeadingAuthservId(string value)
    {
        var i = 0;
        while (i < value.Length)
        {
            if (char.IsWhiteSpace(value[i]))
            {
                i++;
            }
            else if (value[i] == '(')
            {
                // RFC 5322 CFWS: comments nest, and a backslash quotes the next character.
                var depth = 0;
                for (; i < value.Length; i++)
                {
                    if (value[i] == '\\') i++;
                    else if (value[i] == '(') depth++;
                    else if (value[i] == ')' && --depth == 0) { i++; break; }
                }
            }
            else
            {
                break;
            }
        }
        if (i >= value.Length)
            return null;
        if (value[i] == '"')
        {
            var end = value.IndexOf('"', i + 1);
            return end < 0 ? value[(i + 1)..] : value[(i + 1)..end];
        }
        var start = i;
        while (i < value.Length && !char.IsWhiteSpace(value[i]) && value[i] is not ';' and not '(')
            i++;
        return i > start ? value[start..i] : null;
    }

    /// <summary>
    /// The 1-based instance numbers, among the message's Authentication-Results fields in order, of those that claim
    /// our authserv-id: forged or left over, they must go before ours is added (RFC 8601 §5). The milter deletes them by index.
    /// </summary>
    public static IReadOnlyList<int> ForgedInstances(IEnumerable<string> authenticationResultsValues, string authservId) =>
        authenticationResultsValues.Select((v, n) => (v, n)).Where(x => Claims(x.v, authservId)).Select(x => x.n + 1).ToList();

    private static AuthenticationResult? ReadResult(List<Token> tokens, ref int i)
    {
        // method[/version] = result, or the bare "none".
        if (tokens[i].Kind != TokenKind.Word)
            return null;
        // method [ "/" version ]
        var method = tokens[i++].Text.Split('/')[0].ToLowerInvariant();
        if (method == "none" && (i >= tokens.Count || tokens[i].Kind == TokenKind.Semicolon))
            return new AuthenticationResult("none", "none", null, []);
        if (i + 1 >= tokens.Count || tokens[i].Kind != TokenKind.Equals || tokens[i + 1].Kind != TokenKind.Word)
            return null;
        var result = tokens[i + 1].Text.ToLowerInvariant();
        i += 2;
        string? reason = null;
        var properties = new List<(string, string)>();
        while (i < tokens.Count && tokens[i].Kind != TokenKind.Semicolon)
        {
            if (i + 2 < tokens.Count && tokens[i].Kind == TokenKind.Word && tokens[i + 1].Kind == TokenKind.Equals)
            {
                var name = tokens[i].Text.ToLowerInvariant();
                var propertyValue = tokens[i + 2].Text;
                i += 3;
                if (name == "reason")
                    reason = propertyValue;
                else
                    properties.Add((name, propertyValue));
                continue;
            }
            return null;
        }
        return new AuthenticationResult(method, result, reason, properties);
    }

    private enum TokenKind
    {
        Word,
        Semicolon,
        Equals,
    }

    private readonly record struct Token(TokenKind Kind, string Text);

    // Words keep ".", "@" and "/" so that "header.d", "user@example.com" and an unquoted header.b stay whole;
    // "=" right after a value (unquoted base64 padding, as some writers leave it) stays in the value.
    private static List<Token>? Tokenize(string value)
    {
        var tokens = new List<Token>();
        var i = 0;
        var lastEnd = -1;
        while (i < value.Length)
        {
            var c = value[i];
            if (c == '=' && i == lastEnd && tokens.Count >= 2 && tokens[^1].Kind == TokenKind.Word && tokens[^2].Kind == TokenKind.Equals)
            {
                tokens[^1] = tokens[^1] with { Text = tokens[^1].Text + "=" };
                lastEnd = ++i;
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            switch (c)
            {
                case ';':
                    tokens.Add(new Token(TokenKind.Semicolon, ";"));
                    i++;
                    continue;
                case '=':
                    tokens.Add(new Token(TokenKind.Equals, "="));
                    i++;
                    continue;
                case '(':
                {
                    var depth = 0;
                    for (; i < value.Length; i++)
                    {
                        if (value[i] == '\\')
                            i++;
                        else if (value[i] == '(')
                            depth++;
                        else if (value[i] == ')' && --depth == 0)
                            break;
                    }
                    if (i >= value.Length)
                        return null;
                    // CFWS may stand anywhere and says nothing machine-readable (reason= does): dropped.
                    i++;
                    continue;
                }
                case '"':
                {
                    var text = new StringBuilder();
                    for (i++; i < value.Length && value[i] != '"'; i++)
                    {
                        if (value[i] == '\\' && i + 1 < value.Length)
                            i++;
                        text.Append(value[i]);
                    }
                    if (i >= value.Length)
                        return null;
                    tokens.Add(new Token(TokenKind.Word, text.ToString()));
                    lastEnd = ++i;
                    continue;
                }
            }
            var begin = i;
            while (i < value.Length && !char.IsWhiteSpace(value[i]) && value[i] is not (';' or '=' or '(' or '"'))
                i++;
            tokens.Add(new Token(TokenKind.Word, value[begin..i]));
            lastEnd = i;
        }
        return tokens;
    }
}
