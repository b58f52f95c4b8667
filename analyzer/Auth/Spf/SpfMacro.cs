using System.Net;
using System.Text;

namespace DmarcAnalyzer.Auth.Spf;

/// <summary>Where a macro-string appears: the letters c, r and t are for explanation text only (RFC 7208 §7.2).</summary>
internal enum SpfMacroUse
{
    DomainSpec,
    ModifierValue,
    Explanation,
}

/// <summary>The values macros expand to (RFC 7208 §7.2). <paramref name="ValidatedName"/> is %{p}, looked up only when used.</summary>
internal sealed record SpfMacroContext(
    string LocalPart,
    string SenderDomain,
    string Domain,
    IPAddress Ip,
    string Helo,
    string? ValidatedName,
    string Receiver,
    long Timestamp);

/// <summary>Macro-string syntax and expansion (RFC 7208 §7).</summary>
internal static class SpfMacro
{
    private const string Delimiters = ".-+,/_=";
    private const int MaxParts = 128;

    /// <summary>
    /// Checks <paramref name="text"/> against the macro-string ABNF (§7.1) and returns whether it ends with a
    /// macro-expand, which is one of the two ways a domain-spec may end.
    /// </summary>
    public static bool Validate(string text, SpfMacroUse use)
    {
        var endsWithExpand = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            endsWithExpand = false;
            if (c == ' ' && use == SpfMacroUse.Explanation)
                continue;
            if (c is < '!' or > '~')
                throw new SpfSyntaxException($"character 0x{(int)c:x2} not allowed in '{text}'");
            if (c != '%')
                continue;
            if (i + 1 >= text.Length)
                throw new SpfSyntaxException($"'%' at the end of '{text}'");
            var next = text[++i];
            endsWithExpand = true;
            if (next is '%' or '_' or '-')
                continue;
            if (next != '{')
                throw new SpfSyntaxException($"'%{next}' is not a macro in '{text}'");
            var close = text.IndexOf('}', i);
            if (close < 0)
                throw new SpfSyntaxException($"unterminated macro in '{text}'");
            ParseExpand(text.AsSpan(i + 1, close - i - 1), use, text);
            i = close;
        }
        return endsWithExpand;
    }

    public static bool UsesValidatedName(string text) =>
        text.Contains("%{p", StringComparison.Ordinal) || text.Contains("%{P", StringComparison.Ordinal);

    /// <summary>Expands a string <see cref="Validate"/> accepted.</summary>
    public static string Expand(string text, SpfMacroContext context)
    {
        if (!text.Contains('%'))
            return text;
        var sb = new StringBuilder(text.Length + 32);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                sb.Append(c);
                continue;
            }
            var next = text[++i];
            switch (next)
            {
                case '%':
                    sb.Append('%');
                    continue;
                case '_':
                    sb.Append(' ');
                    continue;
                case '-':
                    sb.Append("%20");
                    continue;
            }
            var close = text.IndexOf('}', i);
            var macro = ParseExpand(text.AsSpan(i + 1, close - i - 1), SpfMacroUse.Explanation, text);
            sb.Append(Apply(macro, context));
            i = close;
        }
        return sb.ToString();
    }

    /// <summary>
    /// An expanded domain-spec made a name to query: without a trailing dot, and cut from the left label by label
    /// when longer than 253 characters (§7.3).
    /// </summary>
    public static string ToDomain(string expanded)
    {
        var name = expanded.EndsWith('.') ? expanded[..^1] : expanded;
        while (name.Length > 253)
        {
            var dot = name.IndexOf('.');
            if (dot < 0)
                break;
            name = name[(dot + 1)..];
        }
        return name;
    }

    private readonly record struct Macro(char Letter, bool Escape, int Parts, bool Reverse, string Delimiters);

    private static Macro ParseExpand(ReadOnlySpan<char> body, SpfMacroUse use, string text)
    {
        if (body.Length == 0)
            throw new SpfSyntaxException($"empty macro in '{text}'");
        var letter = char.ToLowerInvariant(body[0]);
        if ("slodipvhcrt".IndexOf(letter) < 0 || !char.IsAsciiLetter(body[0]))
            throw new SpfSyntaxException($"unknown macro letter '{body[0]}' in '{text}'");
        if (letter is 'c' or 'r' or 't' && use == SpfMacroUse.DomainSpec)
            throw new SpfSyntaxException($"macro '{body[0]}' is only allowed in explanation text ('{text}')");
        var at = 1;
        var parts = 0;
        var sawDigit = false;
        while (at < body.Length && char.IsAsciiDigit(body[at]))
        {
            parts = Math.Min(parts * 10 + (body[at] - '0'), 1_000_000);
            sawDigit = true;
            at++;
        }
        if (sawDigit && parts == 0)
            throw new SpfSyntaxException($"macro transformer 0 in '{text}' (§7.1: at least one)");
        var reverse = false;
        if (at < body.Length && body[at] is 'r' or 'R')
        {
            reverse = true;
            at++;
        }
        var delimiters = body[at..];
        foreach (var d in delimiters)
            if (Delimiters.IndexOf(d) < 0)
                throw new SpfSyntaxException($"'{d}' is not a macro delimiter in '{text}'");
        return new Macro(letter, char.IsAsciiLetterUpper(body[0]), sawDigit ? Math.Min(parts, MaxParts) : 0, reverse,
            delimiters.Length == 0 ? "." : delimiters.ToString());
    }

    private static string Apply(Macro macro, SpfMacroContext context)
    {
        var value = macro.Letter switch
        {
            's' => $"{context.LocalPart}@{context.SenderDomain}",
            'l' => context.LocalPart,
            'o' => context.SenderDomain,
            'd' => context.Domain,
            'i' => DottedAddress(context.Ip),
            'p' => context.ValidatedName ?? "unknown",
            'v' => context.Ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "in-addr" : "ip6",
            'h' => context.Helo,
            'c' => context.Ip.ToString(),
            'r' => context.Receiver,
            _ => context.Timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (macro.Parts > 0 || macro.Reverse || macro.Delimiters != ".")
        {
            var split = value.Split(macro.Delimiters.ToCharArray());
            if (macro.Reverse)
                Array.Reverse(split);
            var keep = macro.Parts > 0 ? Math.Min(macro.Parts, split.Length) : split.Length;
            value = string.Join('.', split, split.Length - keep, keep);
        }
        // §7.3: an upper-case macro letter URL-escapes the value; all but the unreserved characters of RFC 3986.
        return macro.Escape ? Uri.EscapeDataString(value) : value;
    }

    /// <summary>%{i}: IPv4 dotted, IPv6 as dot-separated nibbles (§7.3).</summary>
    private static string DottedAddress(IPAddress ip)
    {
        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            return ip.ToString();
        var bytes = ip.GetAddressBytes();
        var sb = new StringBuilder(63);
        foreach (var b in bytes)
        {
            if (sb.Length > 0)
                sb.Append('.');
            sb.Append("0123456789abcdef"[b >> 4]).Append('.').Append("0123456789abcdef"[b & 0xF]);
        }
        return sb.ToString();
    }
}
