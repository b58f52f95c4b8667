namespace DmarcAnalyzer.Auth.Arc;

/// <summary>
/// Checks a DKIM key record (RFC 6376 §3.6.1) before MimeKit decodes its key, which reads only k= and p=: v= must
/// be DKIM1 and first, h= must allow sha256 (RFC 8301 leaves nothing else), s= must cover email, p= must not be
/// empty (revoked).
/// </summary>
internal static class ArcKeyRecord
{
    /// <summary>"k=…; p=…" for MimeKit's decoder, or null with <paramref name="problem"/> saying why the record is unusable.</summary>
    public static string? Parse(string record, out string? problem)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        var first = true;
        foreach (var part in record.Split(';'))
        {
            var eq = part.IndexOf('=');
            if (eq < 0)
            {
                if (part.Trim().Length == 0)
                    continue;
                problem = $"malformed tag \"{part.Trim()}\"";
                return null;
            }
            var name = part[..eq].Trim();
            if (name == "v" && !first)
            {
                problem = "v= is not the first tag";
                return null;
            }
            first = false;
            if (!tags.TryAdd(name, part[(eq + 1)..].Trim()))
            {
                problem = $"tag {name}= twice";
                return null;
            }
        }
        problem = tags.GetValueOrDefault("v") is { } v && v != "DKIM1" ? $"v={v}"
            : tags.GetValueOrDefault("h") is { } h && !List(h).Contains("sha256") ? $"h={h} does not allow sha256"
            : tags.GetValueOrDefault("s") is { } s && !List(s).Any(t => t is "*" or "email") ? $"s={s} is not for email"
            : tags.GetValueOrDefault("k") is { } k && k is not ("rsa" or "ed25519") ? $"unknown key type k={k}"
            : !tags.TryGetValue("p", out var p) ? "no p= tag"
            : p.Length == 0 ? "key revoked (empty p=)"
            : null;
        if (problem is not null)
            return null;
        var key = string.Concat(tags["p"].Where(c => !char.IsWhiteSpace(c)));
        return $"k={tags.GetValueOrDefault("k") ?? "rsa"}; p={key}";
    }

    private static IEnumerable<string> List(string value) => value.Split(':').Select(t => t.Trim());
}
