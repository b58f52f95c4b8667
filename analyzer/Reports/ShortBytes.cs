using System.Runtime.CompilerServices;

namespace DmarcAnalyzer.Reports;

/// <summary>
/// Comparison of short byte strings (element names) in a plain loop: compiled in full with its caller on the
/// first call, where a fresh process would run the framework's vectorised comparison as slow pre-compiled
/// code for its first fraction of a second, and names are too short for vectors to pay.
/// </summary>
internal static class ShortBytes
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Equal(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
            return false;
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
                return false;
        }
        return true;
    }
}
