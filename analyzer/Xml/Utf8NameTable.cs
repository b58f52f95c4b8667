using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace DmarcAnalyzer.Xml;

/// <summary>
/// Atomises element names for <see cref="Utf8XmlReader"/>: the UTF-8 bytes of a qualified name map to one
/// string instance of its local name, so a name seen again costs a lookup and no allocation. Bounded: past
/// <see cref="MaxNames"/> distinct names, or where <see cref="MaxProbes"/> slots from a name's own are taken
/// (names made to collide), further names are decoded each time instead of remembered.
/// </summary>
internal sealed class Utf8NameTable
{
    private const int MaxNames = 1024;
    private const int Slots = MaxNames * 2;
    private const int MaxProbes = 8;

    private readonly Entry[] _entries = new Entry[Slots];
    private int _count;

    private readonly record struct Entry(byte[] QualifiedName, string LocalName, int PrefixLength);

    /// <summary>
    /// The local name of <paramref name="qualifiedName"/> (the part after its prefix), or null when the bytes
    /// are no valid UTF-8 or no QName (Namespaces in XML 1.0 §4: at most one ':', with a name either side).
    /// <paramref name="prefixLength"/> is the prefix's length in bytes, 0 without one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public string? LocalName(ReadOnlySpan<byte> qualifiedName, out int prefixLength)
    {
        var slot = (int)(ShortBytes.Hash(qualifiedName) & (Slots - 1));
        for (var probe = 0; probe < MaxProbes && _entries[slot].QualifiedName is { } known; probe++)
        {
            if (ShortBytes.Equal(qualifiedName, known))
            {
                prefixLength = _entries[slot].PrefixLength;
                return _entries[slot].LocalName;
            }
            slot = (slot + 1) & (Slots - 1);
        }
        prefixLength = Math.Max(qualifiedName.IndexOf((byte)':'), 0);
        return Remember(qualifiedName, prefixLength);
    }

    private string? Remember(ReadOnlySpan<byte> qualifiedName, int prefixLength)
    {
        var local = prefixLength == 0 ? qualifiedName : qualifiedName[(prefixLength + 1)..];
        if (qualifiedName is [(byte)':', ..] || local is [] or [(>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'.', ..]
            || local.Contains((byte)':') || !Utf8.IsValid(qualifiedName))
            return null;
        // A prefixed name shares its local name's instance (remembering that, too).
        var name = prefixLength == 0 ? Encoding.UTF8.GetString(local) : LocalName(local, out _)!;
        if (_count < MaxNames)
            Add(qualifiedName, name, prefixLength);
        return name;
    }

    private void Add(ReadOnlySpan<byte> qualifiedName, string localName, int prefixLength)
    {
        var slot = (int)(ShortBytes.Hash(qualifiedName) & (Slots - 1));
        for (var probe = 0; probe < MaxProbes; probe++)
        {
            if (_entries[slot].QualifiedName is null)
            {
                _entries[slot] = new Entry(qualifiedName.ToArray(), localName, prefixLength);
                _count++;
                return;
            }
            slot = (slot + 1) & (Slots - 1);
        }
    }
}
