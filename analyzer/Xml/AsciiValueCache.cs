using System.Runtime.CompilerServices;

namespace DmarcAnalyzer.Xml;

/// <summary>
/// Short ASCII text values for <see cref="Utf8XmlReader"/>, remembered in a small direct-mapped cache: a
/// report repeats a few values ("pass", "none", its domains) hundreds of thousands of times, and a value seen
/// again then costs a comparison instead of an allocation (and its garbage collection). Bounded: one string
/// a slot, replaced on a miss.
/// </summary>
internal sealed class AsciiValueCache
{
    /// <summary>Longer values are seldom repeated.</summary>
    public const int MaxLength = 64;

    private const int Slots = 4096;

    private readonly string?[] _slots = new string?[Slots];

    /// <summary>The string of <paramref name="ascii"/>, at most <see cref="MaxLength"/> ASCII bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public string Get(ReadOnlySpan<byte> ascii)
    {
        ref var slot = ref _slots[ShortBytes.Hash(ascii) & (Slots - 1)];
        if (slot is { } known && ShortBytes.Equal(ascii, known))
            return known;
        return slot = Widen(ascii);
    }

    /// <summary>
    /// Widened here rather than by Encoding.UTF8: a fresh process runs the framework's decoder slowly until
    /// tiered compilation has re-compiled it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string Widen(ReadOnlySpan<byte> ascii)
    {
        Span<char> chars = stackalloc char[MaxLength];
        for (var i = 0; i < ascii.Length; i++)
            chars[i] = (char)ascii[i];
        return new string(chars[..ascii.Length]);
    }
}
