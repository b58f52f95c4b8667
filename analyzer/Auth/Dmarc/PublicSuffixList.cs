using System.Globalization;

namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>
/// The Public Suffix List (publicsuffix.org format: rules, "*." wildcards, "!" exceptions), used for the
/// RFC 7489 way of finding organisational domains, for comparison with the RFC 9989 tree walk.
/// </summary>
internal sealed class PublicSuffixList
{
    /// <summary>Where Debian's publicsuffix package puts the list.</summary>
    public const string DebianPath = "/usr/share/publicsuffix/public_suffix_list.dat";

    public const long MaxBytes = 16 * 1024 * 1024;
    private static readonly IdnMapping Idn = new();

    private readonly HashSet<string> _rules;
    private readonly HashSet<string> _wildcards;
    private readonly HashSet<string> _exceptions;

    private PublicSuffixList(HashSet<string> rules, HashSet<string> wildcards, HashSet<string> exceptions)
    {
        _rules = rules;
        _wildcards = wildcards;
        _exceptions = exceptions;
    }

    public static async Task<PublicSuffixList> LoadAsync(string path, CancellationToken ct)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
            throw new PublicSuffixListMissingException(
                $"Public Suffix List not found at {path}: install Debian's publicsuffix package or set Dmarc:PublicSuffixList");
        if (file.Length > MaxBytes)
            throw new PublicSuffixListMissingException($"Public Suffix List {path} is larger than {MaxBytes} bytes");
        return Parse(await File.ReadAllLinesAsync(path, ct));
    }

    /// <param name="icannOnly">Only the ICANN section: the private section (cloud and hosting providers) left out.</param>
    public static PublicSuffixList Parse(IEnumerable<string> lines, bool icannOnly = false)
    {
        var rules = new HashSet<string>(StringComparer.Ordinal);
        var wildcards = new HashSet<string>(StringComparer.Ordinal);
        var exceptions = new HashSet<string>(StringComparer.Ordinal);
        var inIcann = false;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Contains("===BEGIN ICANN DOMAINS===", StringComparison.Ordinal))
                inIcann = true;
            else if (line.Contains("===END ICANN DOMAINS===", StringComparison.Ordinal))
                inIcann = false;
            if ((icannOnly && !inIcann) || line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal))
                continue;
            line = line.Split(' ', '\t')[0];
            if (line.StartsWith('!'))
                exceptions.Add(Ascii(line[1..]));
            else if (line.StartsWith("*.", StringComparison.Ordinal))
                wildcards.Add(Ascii(line[2..]));
            else
                rules.Add(Ascii(line));
        }
        return new PublicSuffixList(rules, wildcards, exceptions);
    }

    /// <summary>The public suffix of a domain; an unlisted top-level label counts as one (the "*" default rule).</summary>
    public string PublicSuffix(string domain)
    {
        var labels = domain.ToLowerInvariant().TrimEnd('.').Split('.');
        for (var start = 0; start < labels.Length; start++)
        {
            var candidate = string.Join('.', labels[start..]);
            if (_exceptions.Contains(candidate))
                return string.Join('.', labels[(start + 1)..]);
            if (_rules.Contains(candidate))
                return candidate;
            if (start + 1 < labels.Length && _wildcards.Contains(string.Join('.', labels[(start + 1)..])))
                return candidate;
        }
        return labels[^1];
    }

    /// <summary>RFC 7489 §3.2: the public suffix plus one label; a public suffix itself is its own.</summary>
    public string OrganizationalDomain(string domain)
    {
        var name = domain.ToLowerInvariant().TrimEnd('.');
        var suffix = PublicSuffix(name);
        if (name == suffix)
            return name;
        var labels = name.Split('.');
        var suffixLabels = suffix.Split('.').Length;
        return string.Join('.', labels[^(suffixLabels + 1)..]);
    }

    private static string Ascii(string rule)
    {
        try
        {
            return Idn.GetAscii(rule).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return rule.ToLowerInvariant();
        }
    }
}

/// <summary>The Public Suffix List was asked for but cannot be read.</summary>
internal sealed class PublicSuffixListMissingException(string message) : Exception(message);
