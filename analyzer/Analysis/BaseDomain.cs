namespace DmarcAnalyzer.Analysis;

/// <summary>
/// The registrable ("base") domain of a reverse DNS name, to group a provider's many hosts into one sender:
/// the public suffix plus one label. Uses the ICANN section of the Public Suffix List when the Debian
/// <c>publicsuffix</c> file is present (the private section is left out on purpose: it would make every
/// cloud host its own base domain); without it, the last two labels, which is wrong only under
/// multi-label suffixes such as co.uk.
/// </summary>
internal sealed class BaseDomain
{
    public const string DebianListPath = "/usr/share/publicsuffix/public_suffix_list.dat";
    private const long MaxListBytes = 4 * 1024 * 1024;

    private readonly HashSet<string> _rules;
    private readonly HashSet<string> _wildcards;
    private readonly HashSet<string> _exceptions;

    private BaseDomain(HashSet<string> rules, HashSet<string> wildcards, HashSet<string> exceptions)
    {
        _rules = rules;
        _wildcards = wildcards;
        _exceptions = exceptions;
    }

    private static readonly Lazy<BaseDomain> System = new(() => LoadOrHeuristic(DebianListPath));

    /// <summary>The Debian list when installed, else the two-label heuristic.</summary>
    public static BaseDomain Default => System.Value;

    public static BaseDomain Heuristic { get; } = new([], [], []);

    public static BaseDomain LoadOrHeuristic(string path)
    {
        var file = new FileInfo(path);
        return file.Exists && file.Length <= MaxListBytes ? Parse(File.ReadLines(path)) : Heuristic;
    }

    /// <summary>Reads the list's ICANN section (rules, <c>*.</c> wildcards and <c>!</c> exceptions).</summary>
    public static BaseDomain Parse(IEnumerable<string> lines)
    {
        HashSet<string> rules = new(StringComparer.Ordinal), wildcards = new(StringComparer.Ordinal), exceptions = new(StringComparer.Ordinal);
        var inIcann = false;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Contains("===BEGIN ICANN DOMAINS===", StringComparison.Ordinal))
                inIcann = true;
            else if (line.Contains("===END ICANN DOMAINS===", StringComparison.Ordinal))
                inIcann = false;
            if (!inIcann || line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal))
                continue;
            var rule = line.Split(' ', '\t')[0].ToLowerInvariant();
            if (rule.StartsWith("!", StringComparison.Ordinal))
                exceptions.Add(rule[1..]);
            else if (rule.StartsWith("*.", StringComparison.Ordinal))
                wildcards.Add(rule[2..]);
            else
                rules.Add(rule);
        }
        return new BaseDomain(rules, wildcards, exceptions);
    }

    /// <summary>The base domain of <paramref name="name"/>, or the name itself when it is a public suffix or a single label.</summary>
    public string Of(string name)
    {
        var labels = name.Trim().TrimEnd('.').ToLowerInvariant().Split('.');
        if (labels.Length < 2 || labels.Any(l => l.Length == 0))
            return string.Join('.', labels);
        var suffixLabels = _rules.Count == 0 ? 1 : SuffixLabels(labels);
        return suffixLabels >= labels.Length
            ? string.Join('.', labels)
            : string.Join('.', labels[^(suffixLabels + 1)..]);
    }

    /// <summary>How many trailing labels form the public suffix: the longest rule that matches, "*" by default.</summary>
    private int SuffixLabels(string[] labels)
    {
        for (var i = 0; i < labels.Length; i++)
        {
            var candidate = string.Join('.', labels[i..]);
            if (_exceptions.Contains(candidate))
                return labels.Length - i - 1;
            if (_rules.Contains(candidate))
                return labels.Length - i;
            if (i + 1 < labels.Length && _wildcards.Contains(string.Join('.', labels[(i + 1)..])))
                return labels.Length - i;
        }
        return 1;
    }
}
