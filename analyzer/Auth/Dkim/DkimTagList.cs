namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>
/// The tag=value list of RFC 6376 §3.2, shared by DKIM-Signature fields and key records. Whitespace
/// (including folding) around tags and values is dropped; a duplicate tag or a malformed tag-spec is an error.
/// </summary>
internal sealed class DkimTagList
{
    private const int MaxTags = 64;

    private readonly Dictionary<string, string> _tags;

    private DkimTagList(Dictionary<string, string> tags, IReadOnlyList<string> order)
    {
        _tags = tags;
        Order = order;
    }

    /// <summary>Tag names in the order they appear.</summary>
    public IReadOnlyList<string> Order { get; }

    public string? this[string tag] => _tags.GetValueOrDefault(tag);

    public bool Contains(string tag) => _tags.ContainsKey(tag);

    public static DkimTagList Parse(string text)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        var specs = text.Split(';');
        for (var i = 0; i < specs.Length; i++)
        {
            var spec = specs[i];
            if (IsBlank(spec))
            {
                // §3.2: only the last tag-spec may be empty (a trailing semicolon).
                if (i == specs.Length - 1)
                    continue;
                throw new DkimFormatException("empty tag-spec in tag list");
            }
            var equals = spec.IndexOf('=');
            if (equals < 0)
                throw new DkimFormatException($"tag-spec without '=': '{Trim(spec)}'");
            var name = Trim(spec[..equals]);
            if (!IsTagName(name))
                throw new DkimFormatException($"invalid tag name '{name}'");
            var value = Trim(spec[(equals + 1)..]);
            foreach (var c in value)
                if (c is not ('\r' or '\n' or ' ' or '\t') && (c < 0x21 || c > 0x7e))
                    throw new DkimFormatException($"invalid character in value of tag '{name}'");
            if (!tags.TryAdd(name, value))
                throw new DkimFormatException($"duplicate tag '{name}'");
            if (tags.Count > MaxTags)
                throw new DkimFormatException($"more than {MaxTags} tags");
            order.Add(name);
        }
        return new DkimTagList(tags, order);
    }

    /// <summary>A value with all folding whitespace removed (base64 values such as b=, bh=, p=).</summary>
    public static string WithoutWhitespace(string value) =>
        string.Concat(value.Where(c => c is not (' ' or '\t' or '\r' or '\n')));

    private static bool IsTagName(string name) =>
        name.Length > 0 && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static bool IsBlank(string s) => s.All(c => c is ' ' or '\t' or '\r' or '\n');

    private static string Trim(string s) => s.Trim(' ', '\t', '\r', '\n');
}
