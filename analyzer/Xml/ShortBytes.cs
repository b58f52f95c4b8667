using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace DmarcAnalyzer.Xml;

/// <summary>
/// Comparing and hashing short byte strings (names, values) in plain code: compiled in full with its caller
/// on the first call, where a fresh process would run the framework's vectorised comparison as slow
/// pre-compiled code for its first fraction of a second, and the strings are too short for vectors to pay.
/// </summary>
internal static class ShortBytes
{
    /// <summary>Compares eight bytes at a time, the last eight overlapping where the length is no multiple of 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Equal(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var n = a.Length;
        if (n != b.Length)
            return false;
        if (n >= 8)
        {
            for (var i = 0; i < n - 8; i += 8)
            {
                if (BinaryPrimitives.ReadUInt64LittleEndian(a[i..]) != BinaryPrimitives.ReadUInt64LittleEndian(b[i..]))
                    return false;
            }
            return BinaryPrimitives.ReadUInt64LittleEndian(a[(n - 8)..]) == BinaryPrimitives.ReadUInt64LittleEndian(b[(n - 8)..]);
        }
        if (n >= 4)
            return BinaryPrimitives.ReadUInt32LittleEndian(a) == BinaryPrimitives.ReadUInt32LittleEndian(b)
                && BinaryPrimitives.ReadUInt32LittleEndian(a[(n - 4)..]) == BinaryPrimitives.ReadUInt32LittleEndian(b[(n - 4)..]);
        for (var i = 0; i < n; i++)
        {
            if (a[i] != b[i])
                return false;
        }
        return true;
    }

    /// <summary>True when <paramref name="ascii"/> widened is <paramref name="text"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Equal(ReadOnlySpan<byte> ascii, string text)
    {
        if (ascii.Length != text.Length)
            return false;
        for (var i = 0; i < ascii.Length; i++)
        {
            if (ascii[i] != text[i])
                return false;
        }
        return true;
    }

    /// <summary>A hash of the length and the first and last four bytes: enough to tell names and values apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash(ReadOnlySpan<byte> bytes)
    {
        var h = (uint)bytes.Length * 0x9E3779B1;
        if (bytes.Length >= 4)
        {
            h = (h ^ BinaryPrimitives.ReadUInt32LittleEndian(bytes)) * 0x85EBCA6B;
            h = (h ^ BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..])) * 0xC2B2AE35;
        }
        else
        {
            foreach (var b in bytes)
                h = (h ^ b) * 0x85EBCA6B;
        }
        return h ^ (h >> 15);
    }
}
