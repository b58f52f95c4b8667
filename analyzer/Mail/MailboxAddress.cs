using System.Text;

namespace DmarcAnalyzer.Mail;

/// <summary>
/// Reads RFC 5322 §3.4 address lists: name-addr and addr-spec, groups (their members are returned, the group
/// name is not), comments and folding white space anywhere (CFWS), quoted strings, domain literals, the obsolete
/// route syntax (§4.4), and RFC 2047 encoded words in display names. Entries without a domain are skipped, so a
/// malformed From yields an empty list rather than an exception.
/// </summary>
internal static class MailboxAddress
{
    /// <summary>
    /// Parses a field value as received: pass <see cref="Header.RawValue"/> or <see cref="Header.Unfolded"/>,
    /// never <see cref="Header.Value"/>. Encoded words are decoded here, inside display names only; decoding
    /// them first would let <c>=?utf-8?q?x=40evil.example?= &lt;a@victim.example&gt;</c> read as evil.example.
    /// </summary>
    public static IReadOnlyList<MailAddress> ParseList(string headerValue)
    {
        var reader = new Reader(headerValue.Replace("\r", "").Replace("\n", ""));
        var result = new List<MailAddress>();
        var phrase = new List<Token>();
        while (true)
        {
            var token = reader.Next();
            switch (token.Kind)
            {
                case TokenKind.End:
                    return result;
                case TokenKind.Special when token.Text is "," or ";" or ":":
                    // ':' opens a group whose name is the phrase; ',' and ';' end an entry. A phrase with no
                    // address is not a mailbox.
                    phrase.Clear();
                    break;
                case TokenKind.Special when token.Text == "<":
                    if (reader.ReadAngleAddress() is { } address)
                        result.Add(address with { DisplayName = DisplayName(phrase) });
                    phrase.Clear();
                    reader.SkipToSeparator();
                    break;
                case TokenKind.Special when token.Text == "@":
                    var domain = reader.ReadDomain();
                    if (phrase.Count > 0 && domain.Length > 0)
                        result.Add(new MailAddress(null, LocalPart(phrase), domain));
                    phrase.Clear();
                    reader.SkipToSeparator();
                    break;
                case TokenKind.Special:
                    break;
                default:
                    phrase.Add(token);
                    break;
            }
        }
    }

    private static string? DisplayName(List<Token> phrase)
    {
        var text = new StringBuilder();
        foreach (var token in phrase)
        {
            if (text.Length > 0 && token.Text != "." && token.SpaceBefore)
                text.Append(' ');
            // Encoded words inside quotes are not allowed (RFC 2047 §5) but common; decode them as well.
            text.Append(token.Text);
        }
        var name = EncodedWords.Decode(text.ToString()).Trim();
        return name.Length == 0 ? null : name;
    }

    private static string LocalPart(List<Token> phrase) => string.Concat(phrase.Select(t => t.Text));

    private enum TokenKind
    {
        End,
        Atom,
        Quoted,
        Special,
    }

    private readonly record struct Token(TokenKind Kind, string Text, bool SpaceBefore);

    private sealed class Reader(string text)
    {
        private int _pos;

        public Token Next()
        {
            var spaceBefore = SkipCfws();
            if (_pos >= text.Length)
                return new Token(TokenKind.End, "", spaceBefore);
            var c = text[_pos];
            if (c == '"')
                return new Token(TokenKind.Quoted, ReadQuoted(), spaceBefore);
            if (IsAtomChar(c))
            {
                var start = _pos;
                while (_pos < text.Length && IsAtomChar(text[_pos]))
                    _pos++;
                return new Token(TokenKind.Atom, text[start.._pos], spaceBefore);
            }
            _pos++;
            // A lone '.' reads as part of a phrase or local part (obs-phrase, obs-local-part).
            return c == '.' ? new Token(TokenKind.Atom, ".", spaceBefore) : new Token(TokenKind.Special, c.ToString(), spaceBefore);
        }

        /// <summary>After '&lt;': [obs-route ':'] local-part '@' domain '&gt;'.</summary>
        public MailAddress? ReadAngleAddress()
        {
            var local = new List<Token>();
            while (true)
            {
                var token = Next();
                switch (token.Kind)
                {
                    case TokenKind.End:
                        return null;
                    case TokenKind.Special when token.Text == ">":
                        return null;
                    case TokenKind.Special when token.Text == ":":
                        local.Clear(); // the obsolete source route "@a,@b:" ends here
                        break;
                    case TokenKind.Special when token.Text == "@":
                        if (local.Count == 0)
                        {
                            ReadDomain(); // a route entry
                            break;
                        }
                        var domain = ReadDomain();
                        SkipPast('>');
                        return domain.Length == 0 ? null : new MailAddress(null, LocalPart(local), domain);
                    case TokenKind.Special:
                        break;
                    default:
                        local.Add(token);
                        break;
                }
            }
        }

        /// <summary>dot-atom or domain-literal, CFWS allowed between the pieces (obs-domain).</summary>
        public string ReadDomain()
        {
            var domain = new StringBuilder();
            while (true)
            {
                SkipCfws();
                if (_pos >= text.Length)
                    break;
                var c = text[_pos];
                if (c == '[')
                {
                    var close = text.IndexOf(']', _pos);
                    var end = close < 0 ? text.Length : close + 1;
                    domain.Append(text, _pos, end - _pos);
                    _pos = end;
                }
                else if (IsAtomChar(c) || c == '.')
                {
                    var start = _pos;
                    while (_pos < text.Length && (IsAtomChar(text[_pos]) || text[_pos] == '.'))
                        _pos++;
                    domain.Append(text, start, _pos - start);
                }
                else
                    break;
            }
            return domain.ToString().Trim('.');
        }

        /// <summary>Skips leftovers of an entry up to the ',' or ';' that ends it (which is left for the caller).</summary>
        public void SkipToSeparator()
        {
            while (true)
            {
                SkipCfws();
                if (_pos >= text.Length || text[_pos] is ',' or ';')
                    return;
                if (text[_pos] == '"')
                    ReadQuoted();
                else
                    _pos++;
            }
        }

        private void SkipPast(char stop)
        {
            while (_pos < text.Length)
            {
                SkipCfws();
                if (_pos >= text.Length)
                    return;
                if (text[_pos] == '"')
                {
                    ReadQuoted();
                    continue;
                }
                if (text[_pos++] == stop)
                    return;
            }
        }

        private bool SkipCfws()
        {
            var skipped = false;
            while (_pos < text.Length)
            {
                var c = text[_pos];
                if (c is ' ' or '\t')
                {
                    _pos++;
                    skipped = true;
                }
                else if (c == '(')
                {
                    SkipComment();
                    skipped = true;
                }
                else
                    break;
            }
            return skipped;
        }

        /// <summary>RFC 5322 §3.2.2: comments nest and may hold quoted pairs; an unclosed one runs to the end.</summary>
        private void SkipComment()
        {
            var depth = 0;
            for (; _pos < text.Length; _pos++)
            {
                var c = text[_pos];
                if (c == '\\')
                    _pos++;
                else if (c == '(')
                    depth++;
                else if (c == ')' && --depth == 0)
                {
                    _pos++;
                    return;
                }
            }
        }

        private string ReadQuoted()
        {
            var value = new StringBuilder();
            for (_pos++; _pos < text.Length; _pos++)
            {
                var c = text[_pos];
                if (c == '"')
                {
                    _pos++;
                    break;
                }
                if (c == '\\' && _pos + 1 < text.Length)
                    c = text[++_pos];
                value.Append(c);
            }
            return value.ToString();
        }

        /// <summary>RFC 5322 §3.2.3 atext, plus any non-ASCII character (RFC 6532 §3.2).</summary>
        private static bool IsAtomChar(char c) =>
            c >= 0x80 || char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c);
    }
}
