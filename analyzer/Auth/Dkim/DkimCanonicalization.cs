using System.Text;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>The two canonicalisation algorithms of RFC 6376 §3.4.</summary>
internal enum DkimCanonicalization
{
    Simple,
    Relaxed,
}

/// <summary>Header canonicalisation (RFC 6376 §3.4.1, §3.4.2); body canonicalisation streams in <see cref="DkimBodyHasher"/>.</summary>
internal static class DkimHeaderCanonicalizer
{
    public static string Name(DkimCanonicalization c) => c == DkimCanonicalization.Simple ? "simple" : "relaxed";

    public static DkimCanonicalization Parse(string name) => name.ToLowerInvariant() switch
    {
        "simple" => DkimCanonicalization.Simple,
        "relaxed" => DkimCanonicalization.Relaxed,
        _ => throw new DkimFormatException($"unknown canonicalization '{name}'"),
    };

    /// <summary>
    /// One raw header field ("Name: value", folded lines joined by CRLF, no final CRLF) canonicalised,
    /// with the final CRLF appended when <paramref name="withCrlf"/> (all but the DKIM-Signature field itself, §3.7).
    /// </summary>
    public static string Canonicalize(string rawField, DkimCanonicalization c, bool withCrlf = true)
    {
        if (c == DkimCanonicalization.Simple)
            return withCrlf ? rawField + "\r\n" : rawField;

        var colon = rawField.IndexOf(':');
        var name = rawField[..colon].TrimEnd(' ', '\t').ToLowerInvariant();
        var builder = new StringBuilder(rawField.Length);
        builder.Append(name).Append(':');
        var pendingSpace = false;
        var started = false;
        foreach (var ch in rawField.AsSpan(colon + 1))
        {
            // §3.4.2: unfold, reduce WSP runs to one SP, drop WSP at the ends of the value.
            if (ch is '\r' or '\n')
                continue;
            if (ch is ' ' or '\t')
            {
                pendingSpace = started;
                continue;
            }
            if (pendingSpace)
                builder.Append(' ');
            pendingSpace = false;
            started = true;
            builder.Append(ch);
        }
        if (withCrlf)
            builder.Append("\r\n");
        return builder.ToString();
    }
}
