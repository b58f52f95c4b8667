using System.Globalization;

namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>
/// A DMARC policy record (RFC 9989 record format). Tags RFC 9989 removed (pct, rf, ri) are still read from old records;
/// <see cref="Warnings"/> says what a lint should tell the domain owner. <see cref="PolicyError"/> says why the record
/// has no usable policy (p= missing or invalid, sp= or np= invalid); <see cref="Usable"/> says what a receiver makes of it.
/// </summary>
internal sealed record DmarcRecord(
    DmarcPolicy Policy,
    DmarcPolicy? SubdomainPolicy,
    DmarcPolicy? NonExistentPolicy,
    char Psd,
    bool Testing,
    bool StrictDkim,
    bool StrictSpf,
    IReadOnlyList<string> AggregateUris,
    IReadOnlyList<string> FailureUris,
    int? Percent,
    IReadOnlyList<string> Warnings,
    string Text,
    string? PolicyError = null)
{
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

        var invalid = new List<string>();
        DmarcPolicy? PolicyTag(string name)
        {
            if (!tags.TryGetValue(name, out var value))
                return null;
            if (DmarcPolicyWords.Parse(value) is { } policy)
                return policy;
            invalid.Add($"{name}={value}");
            warnings.Add($"{name}={value} is not none, quarantine or reject");
            return null;
        }

        var policy = PolicyTag("p");
        var subdomainPolicy = PolicyTag("sp");
        var nonExistentPolicy = PolicyTag("np");
        if (policy is null && !tags.ContainsKey("p"))
        {
            invalid.Insert(0, "no p=");
            warnings.Add("no p= tag");
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

        var aggregate = Uris(tags, "rua", warnings);
        var error = invalid.Count == 0 ? null : string.Join(", ", invalid);
        if (error is not null && aggregate.Count > 0)
            warnings.Add($"{error}: receivers act as if the record said p=none (it has a valid rua=, RFC 9989 §4.10.1)");
        return new DmarcRecord(policy ?? DmarcPolicy.None, subdomainPolicy, nonExistentPolicy, psd, testing, Strict("adkim"), Strict("aspf"),
            aggregate, Uris(tags, "ruf", warnings), percent, warnings, text, error);
    }

    /// <summary>
    /// The record a receiver applies (RFC 9989 §4.10.1, DMARC Policy Discovery): this one when its p=, sp= and np= are
    /// valid; with one of them missing (p=) or invalid, a record saying only p=none when rua= has a valid URI, so that
    /// reports still flow; otherwise null: no DMARC processing.
    /// </summary>
    public DmarcRecord? Usable => PolicyError is null ? this
        : AggregateUris.Count > 0 ? this with { Policy = DmarcPolicy.None, SubdomainPolicy = null, NonExistentPolicy = null }
        : null;

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
