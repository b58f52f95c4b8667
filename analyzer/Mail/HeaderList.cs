using System.Collections;

namespace DmarcAnalyzer.Mail;

/// <summary>An entity's header fields in their original order; lookups by name are case-insensitive.</summary>
internal sealed class HeaderList(IReadOnlyList<Header> headers) : IReadOnlyList<Header>
{
    public int Count => headers.Count;

    public Header this[int index] => headers[index];

    /// <summary>The first field of that name, unfolded and decoded; null when absent.</summary>
    public string? this[string name] => First(name)?.Value;

    public Header? First(string name) => All(name).FirstOrDefault();

    public IEnumerable<Header> All(string name) =>
        headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase));

    public IEnumerator<Header> GetEnumerator() => headers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
