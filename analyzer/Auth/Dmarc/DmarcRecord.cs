using System.Globalization;

namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>
/// A DMARC policy record (RFC 9989 record format). Tags RFC 9989 removed (pct, rf, ri) are still read from old records;
/// <see cref="Warnings"/> says what a lint should tell the domain owner.
/// </summary>
internal sealed record DmarcRecord(
    string Policy,
    string? SubdomainPolicy,
    string? NonExistentPolicy,
    char Psd,
    bool Testing,
    bool StrictDkim,
    bool StrictSpf,
    IReadOnlyList<string> AggregateUris,
    IReadOnlyList<string> FailureUris,
    int? Percent,
    IReadOnlyList<string> Warnings,
    string Text)
{
    public const string None = "none";
    public const string Quarantine = "quarantine";
    public const string Reject = "reject";

    /// <summary>True when <paramref name="text"/> starts with the v=DMARC1 tag (the RFC 9989 tree walk discards other TXT records).</summary>
    public static bool IsDmarc(string text)
    {
        var first = text.Split(';', 2)[0];
        var equals = first.IndexOf('=');
        return equals > 0 && first[..equals].Trim() == "v" && first[(equals + 1)..].Trim() == "DMARC1";
    }

    /// <summary>Parses a record that <see cref="IsDmarc"/> accepted. Unknown tags are ignored; bad values fall back to defaults with a warning.</summary>
    public static DmarcRecord Parse(string text)
    {
        var warnings = new List<string>();
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var spec in text.Split(';'))
        {
            if (string.IsNullOrWhiteSpace(spec))
                continue;
            var equals = spec.IndexOf('=');
            if (equals < 0)
            {
                warnings.Add($"'{spec.Trim()}' is not a tag=value pair");
                continue;
            }
            var name = spec[..equals].Trim().ToLowerInvariant();
            if (!tags.TryAdd(name, spec[(equals + 1)..].Trim()))
                warnings.Add($"tag {name} appears more than once; the first is used");
        }

        string? PolicyTag(string name)
        {
            if (!tags.TryGetValue(name, out var value))
                return null;
            var lower = value.ToLowerInvariant();
            if (lower is None or Quarantine or Reject)
                return lower;
            warnings.Add($"{name}={value} is not none, quarantine or reject; ignored");
            return null;
        }

        var policy = PolicyTag("p");
        if (policy is null)
        {
            // RFC 9989: a record without a usable p= is treated as p=none.
            warnings.Add("no valid p= tag; treated as p=none");
            policy = None;
        }
        var psd = 'u';
        if (tags.TryGetValue("psd", out var psdValue))
        {
            if (psdValue.ToLowerInvariant() is "y" or "n" or "u")
                psd = char.ToLowerInvariant(psdValue[0]);
            else
                warnings.Add($"psd={psdValue} is not y, n or u; ignored");
        }
        var testing = false;
        if (tags.TryGetValue("t", out var t))
        {
            if (t.ToLowerInvariant() is "y" or "n")
                testing = t.Equals("y", StringComparison.OrdinalIgnoreCase);
            else
                warnings.Add($"t={t} is not y or n; ignored");
        }

        bool Strict(string name)
        {
            if (!tags.TryGetValue(name, out var value))
                return false;
            if (value.ToLowerInvariant() is "r" or "s")
                return value.Equals("s", StringComparison.OrdinalIgnoreCase);
            warnings.Add($"{name}={value} is not r or s; relaxed is used");
            return false;
        }

        int? percent = null;
        if (tags.TryGetValue("pct", out var pct))
        {
            warnings.Add("pct was removed by RFC 9989; use t=y for testing");
            if (int.TryParse(pct, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p <= 100)
                percent = p;
            else
                warnings.Add($"pct={pct} is not 0 to 100; ignored");
        }
        foreach (var removed in new[] { "rf", "ri" })
            if (tags.ContainsKey(removed))
                warnings.Add($"{removed} was removed by RFC 9989 and is ignored");

        return new DmarcRecord(policy, PolicyTag("sp"), PolicyTag("np"), psd, testing, Strict("adkim"), Strict("aspf"),
            Uris(tags, "rua", warnings), Uris(tags, "ruf", warnings), percent, warnings, text);
    }

    private static List<string> Uris(Dictionary<string, string> tags, string name, List<string> warnings)
    {
        if (!tags.TryGetValue(name, out var value))
            return [];
        var uris = new List<string>();
        foreach (var raw in value.Split(','))
        {
            var uri = raw.Trim();
            // RFC 9989: a "!size" suffix is obsolete and ignored.
            var bang = uri.IndexOf('!');
            if (bang >= 0)
            {
                warnings.Add($"{name}: the size limit in '{uri}' is obsolete (RFC 9989) and ignored");
                uri = uri[..bang];
            }
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme != "mailto" || !uri.Contains('@'))
            {
                warnings.Add($"{name}: '{uri}' is not a mailto: URI");
                continue;
            }
            uris.Add(uri);
        }
        return uris;
    }
}
