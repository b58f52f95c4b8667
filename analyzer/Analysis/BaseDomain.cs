using DmarcAnalyzer.Auth.Dmarc;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// The registrable ("base") domain of a reverse DNS name, to group a provider's many hosts into one sender:
/// the public suffix plus one label. Uses the ICANN section of the Public Suffix List when the Debian
/// <c>publicsuffix</c> file is present (the private section is left out on purpose: it would make every
/// cloud host its own base domain); without it, the last two labels (an empty list has only the "*" rule),
/// which is wrong only under multi-label suffixes such as co.uk.
/// </summary>
internal sealed class BaseDomain(PublicSuffixList list)
{
    public const string DebianListPath = PublicSuffixList.DebianPath;

    private static readonly Lazy<BaseDomain> System = new(() => LoadOrHeuristic(DebianListPath));

    /// <summary>The Debian list when installed, else the two-label heuristic.</summary>
    public static BaseDomain Default => System.Value;

    public static BaseDomain Heuristic { get; } = new(PublicSuffixList.Parse([]));

    public static BaseDomain LoadOrHeuristic(string path)
    {
        var file = new FileInfo(path);
        return file.Exists && file.Length <= PublicSuffixList.MaxBytes ? Parse(File.ReadLines(path)) : Heuristic;
    }

    public static BaseDomain Parse(IEnumerable<string> lines) => new(PublicSuffixList.Parse(lines, icannOnly: true));

    /// <summary>The base domain of <paramref name="name"/>, or the name itself when it is a public suffix or a single label.</summary>
    public string Of(string name)
    {
        var domain = name.Trim().TrimEnd('.').ToLowerInvariant();
        return domain.Split('.').Any(l => l.Length == 0) ? domain : list.OrganizationalDomain(domain);
    }
}
