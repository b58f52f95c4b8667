using System.Text;
using MimeKit;
using MimeKit.Cryptography;

namespace DmarcAnalyzer.Auth.Arc;

/// <summary>One result in an ARC-Authentication-Results field: method, result word and the properties (ptype.property → value).</summary>
internal sealed record ArcHopResult(string Method, string Result, IReadOnlyDictionary<string, string> Properties)
{
    /// <summary>Whether the hop's method passed ("pass" is every method's word for it, RFC 8601 §2.7).</summary>
    public bool Passed => AuthenticationResultWords.IsPass(Result);
}

/// <summary>
/// What one ARC hop recorded (RFC 8617 §4.1.1): the authserv-id and results of its ARC-Authentication-Results field,
/// parsed with MimeKit's RFC 8601 parser.
/// </summary>
internal sealed record ArcHopResults(string AuthservId, IReadOnlyList<ArcHopResult> Results)
{
    /// <summary>The field's value parsed, or null when it is not a valid RFC 8601 value.</summary>
    public static ArcHopResults? Parse(Header field)
    {
        if (!AuthenticationResults.TryParse(field.RawValue, out var parsed) || parsed.AuthenticationServiceIdentifier is not { } id)
            return null;
        var results = parsed.Results.Select(r => new ArcHopResult(r.Method, r.Result,
                r.Properties.GroupBy(p => $"{p.PropertyType}.{p.Property}".ToLowerInvariant())
                    .ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal)))
            .ToList();
        return new ArcHopResults(id, results);
    }

    public override string ToString()
    {
        var text = new StringBuilder(AuthservId);
        foreach (var r in Results)
            text.Append("; ").Append(r.Method).Append('=').Append(r.Result);
        return text.ToString();
    }
}
