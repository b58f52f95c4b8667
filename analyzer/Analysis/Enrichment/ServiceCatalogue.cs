using System.Globalization;
using System.Reflection;

namespace DmarcAnalyzer.Analysis.Enrichment;

/// <summary>How a catalogue line recognises a source.</summary>
internal enum ServiceKey
{
    /// <summary>The forward-confirmed PTR name is this domain or under it.</summary>
    Ptr,

    /// <summary>The source address is announced by this autonomous system.</summary>
    Asn,

    /// <summary>A DKIM signature of this domain (or one under it) verified.</summary>
    Dkim,
}

/// <summary>A service the catalogue names, and where the fact that identifies it was documented.</summary>
internal sealed record Service(string Name, ServiceType Type, string Source);

/// <summary>
/// Who sends from where: lines of <c>kind key service type source</c>, tab-separated, <c>#</c> starts a comment
/// (README: Enrichment). The built-in list (<c>services.tsv</c>, embedded) comes first; a user's file
/// (<c>Enrichment:Services</c>) is read after it and its lines replace built-in lines with the same kind and key.
/// Within one file a kind and key may appear once: a second line is an error, not a silent choice.
/// </summary>
internal sealed class ServiceCatalogue
{
    public const string ResourceName = "DmarcAnalyzer.Analysis.Enrichment.services.tsv";
    private const int MaxLines = 100_000;
    private const int MaxLineLength = 1000;

    private readonly Dictionary<string, Service> _byDomain = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Service> _byAsn = [];
    private readonly Dictionary<string, Service> _byDkim = new(StringComparer.Ordinal);

    public static ServiceCatalogue Empty { get; } = new();

    private static readonly Lazy<ServiceCatalogue> BuiltInCatalogue = new(() =>
    {
        var catalogue = new ServiceCatalogue();
        catalogue.Add(BuiltInLines(), "services.tsv");
        return catalogue;
    });

    /// <summary>The catalogue shipped in the program.</summary>
    public static ServiceCatalogue BuiltIn => BuiltInCatalogue.Value;

    public int Count => _byDomain.Count + _byAsn.Count + _byDkim.Count;

    /// <summary>Whether any line recognises a source by its DKIM signing domain.</summary>
    public bool HasDkimLines => _byDkim.Count > 0;

    /// <summary>The built-in lines, then the user's file when one is named; a bad line is a <see cref="FormatException"/> naming it.</summary>
    public static ServiceCatalogue Load(string? userFile)
    {
        if (userFile is null)
            return BuiltIn;
        var file = new FileInfo(userFile);
        if (!file.Exists)
            throw new FormatException($"service catalogue not found: {userFile}");
        var catalogue = new ServiceCatalogue();
        catalogue.Add(BuiltInLines(), "services.tsv");
        catalogue.Add(File.ReadLines(file.FullName), file.FullName, replace: true);
        return catalogue;
    }

    public static IEnumerable<string> BuiltInLines()
    {
        using var stream = typeof(ServiceCatalogue).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"resource {ResourceName} is missing from the build");
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
            yield return line;
    }

    /// <summary>One parsed line, or null for a blank or comment line.</summary>
    internal sealed record Line(ServiceKey Kind, string Key, Service Service);

    /// <summary>Parses one line; <paramref name="where"/> (file and line number) goes into the error.</summary>
    public static Line? ParseLine(string line, string where)
    {
        if (line.Length > MaxLineLength)
            throw new FormatException($"{where}: longer than {MaxLineLength} characters");
        if (line.Length == 0 || line[0] == '#' || string.IsNullOrWhiteSpace(line))
            return null;
        var fields = line.Split('\t');
        if (fields.Length != 5)
            throw new FormatException($"{where}: {fields.Length} tab-separated fields, expected 5 (kind, key, service, type, source)");
        var (kindText, key, name, typeText, source) = (fields[0].Trim(), fields[1].Trim().TrimEnd('.').ToLowerInvariant(), fields[2].Trim(),
            fields[3].Trim(), fields[4].Trim());
        var kind = kindText switch
        {
            "ptr" => ServiceKey.Ptr,
            "asn" => ServiceKey.Asn,
            "dkim" => ServiceKey.Dkim,
            _ => throw new FormatException($"{where}: kind '{kindText}' is not ptr, asn or dkim"),
        };
        if (!ServiceTypes.TryParse(typeText, out var type))
            throw new FormatException($"{where}: type '{typeText}' is not one of mailbox, marketing, transactional, crm, helpdesk, gateway, forwarder, hosting");
        if (name.Length == 0)
            throw new FormatException($"{where}: the service name is empty");
        if (source.Length == 0)
            throw new FormatException($"{where}: the source is empty: say where the fact is documented");
        if (kind == ServiceKey.Asn)
        {
            if (key.StartsWith("as", StringComparison.Ordinal))
                key = key[2..];
            if (!uint.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var asn) || asn == 0)
                throw new FormatException($"{where}: '{fields[1].Trim()}' is not an AS number");
            key = asn.ToString(CultureInfo.InvariantCulture);
        }
        else if (!IsDomain(key))
        {
            throw new FormatException($"{where}: '{fields[1].Trim()}' is not a domain name with at least two labels");
        }
        return new Line(kind, key, new Service(name, type, source));
    }

    private void Add(IEnumerable<string> lines, string file, bool replace = false)
    {
        var seen = new HashSet<(ServiceKey, string)>();
        var number = 0;
        foreach (var text in lines)
        {
            if (++number > MaxLines)
                throw new FormatException($"{file}: more than {MaxLines} lines");
            if (ParseLine(text, $"{file}:{number}") is not { } line)
                continue;
            if (!seen.Add((line.Kind, line.Key)))
                throw new FormatException($"{file}:{number}: {line.Kind.ToString().ToLowerInvariant()} {line.Key} is listed twice");
            switch (line.Kind)
            {
                case ServiceKey.Ptr:
                    Put(_byDomain, line.Key, line.Service, replace);
                    break;
                case ServiceKey.Dkim:
                    Put(_byDkim, line.Key, line.Service, replace);
                    break;
                default:
                    Put(_byAsn, long.Parse(line.Key, CultureInfo.InvariantCulture), line.Service, replace);
                    break;
            }
        }
    }

    private static void Put<TKey>(Dictionary<TKey, Service> map, TKey key, Service service, bool replace) where TKey : notnull
    {
        if (replace || !map.ContainsKey(key))
            map[key] = service;
    }

    /// <summary>
    /// The service of a source: by its forward-confirmed PTR name (the longest listed domain it is or is under),
    /// else by the first of its verified DKIM signing domains that is listed (or under a listed one), else by its
    /// AS number. The name is the surest: an AS number can hold many customers, which is why hosting networks are
    /// listed by ASN and senders mostly by name. The one rule for the report, the digest and the export: each
    /// passes the signing domains in its own order of weight (a source's by messages, a record's as reported).
    /// </summary>
    public Service? Match(string? ptrName, long? asn, IEnumerable<string>? dkimDomains = null)
    {
        if (ptrName is not null && Suffix(_byDomain, ptrName) is { } byName)
            return byName;
        if (dkimDomains is not null && _byDkim.Count > 0)
        {
            foreach (var domain in dkimDomains)
            {
                if (Suffix(_byDkim, domain) is { } byDkim)
                    return byDkim;
            }
        }
        return asn is { } number && _byAsn.TryGetValue(number, out var byAsn) ? byAsn : null;
    }

    private static Service? Suffix(Dictionary<string, Service> map, string name)
    {
        if (map.Count == 0)
            return null;
        var domain = name.Trim().TrimEnd('.').ToLowerInvariant();
        while (true)
        {
            if (map.TryGetValue(domain, out var service))
                return service;
            var dot = domain.IndexOf('.');
            if (dot < 0)
                return null;
            domain = domain[(dot + 1)..];
        }
    }

    private static bool IsDomain(string key)
    {
        var labels = key.Split('.');
        return labels.Length >= 2 && labels.All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
    }
}
