using System.Globalization;

namespace DmarcAnalyzer.Filter.Outgoing;

/// <summary>
/// One rua= destination: the mailto: address and the size limit its URI asks for (RFC 7489 §6.2 "!" suffix: a number
/// with an optional k, m, g or t unit; null: no limit). RFC 9989 no longer defines the suffix, but domains still
/// publish it, and a report larger than the destination takes is not sent.
/// </summary>
internal sealed record ReportDestination(string Address, long? MaxBytes)
{
    /// <summary>The host part of the address, lower case: where the external-destination check looks.</summary>
    public string Host => Address[(Address.LastIndexOf('@') + 1)..].ToLowerInvariant();

    /// <summary>The raw value of the record's rua= tag, or null when it has none or an empty one.</summary>
    public static string? RuaOf(string recordText) => TagOf(recordText, "rua");

    /// <summary>The raw value of a tag of a DMARC record (tag=value pairs separated by ";"), or null when it has none or an empty one.</summary>
    public static string? TagOf(string recordText, string tag)
    {
        foreach (var spec in recordText.Split(';'))
        {
            var equals = spec.IndexOf('=');
            if (equals > 0 && spec[..equals].Trim().Equals(tag, StringComparison.OrdinalIgnoreCase))
                return spec[(equals + 1)..].Trim() is { Length: > 0 } value ? value : null;
        }
        return null;
    }

    /// <summary>The mailto: destinations of a rua= value; other schemes and malformed URIs are left out.</summary>
    public static IReadOnlyList<ReportDestination> Parse(string rua) => Split(rua).Usable;

    /// <summary>The mailto: destinations of a rua= value, and the URIs left out: other schemes and malformed ones.</summary>
    public static (IReadOnlyList<ReportDestination> Usable, IReadOnlyList<string> Unusable) Split(string rua)
    {
        var destinations = new List<ReportDestination>();
        var unusable = new List<string>();
        foreach (var raw in rua.Split(','))
        {
            var uri = raw.Trim();
            if (uri.Length == 0)
                continue;
            long? limit = null;
            if (uri.IndexOf('!') is var bang and >= 0)
            {
                limit = Size(uri[(bang + 1)..]);
                uri = uri[..bang];
            }
            if (!uri.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
            {
                unusable.Add(raw.Trim());
                continue;
            }
            // RFC 6068: the address is percent-encoded; a query (?subject=...) is not part of it.
            var address = Uri.UnescapeDataString(uri["mailto:".Length..].Split('?', 2)[0]).Trim();
            var at = address.LastIndexOf('@');
            if (at <= 0 || at == address.Length - 1 || address.Contains(',') || address.Any(char.IsWhiteSpace)
                || !MimeKit.MailboxAddress.TryParse(address, out _))
            {
                unusable.Add(raw.Trim());
                continue;
            }
            if (!destinations.Any(d => d.Address.Equals(address, StringComparison.OrdinalIgnoreCase)))
                destinations.Add(new ReportDestination(address, limit));
        }
        return (destinations, unusable);
    }

    /// <summary>"10m" is 10 MiB; a suffix that is not a size sets no limit.</summary>
    private static long? Size(string text)
    {
        var value = text.Trim().ToLowerInvariant();
        if (value.Length == 0)
            return null;
        var shift = value[^1] switch { 'k' => 10, 'm' => 20, 'g' => 30, 't' => 40, _ => 0 };
        var digits = shift == 0 ? value : value[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number <= long.MaxValue >> shift
            ? number << shift
            : null;
    }
}
