using System.Numerics;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>
/// An element of GF(2^255 - 19) for <see cref="Ed25519"/>, in five 51-bit limbs multiplied through
/// <see cref="UInt128"/>: the layout of the well-known 64-bit Curve25519 implementations, written afresh.
/// Limbs stay under 2^52 between operations, so products never overflow.
/// </summary>
internal readonly struct FieldElement
{
    private const ulong Mask = (1UL << 51) - 1;

    private readonly ulong _0, _1, _2, _3, _4;

    private FieldElement(ulong l0, ulong l1, ulong l2, ulong l3, ulong l4)
    {
        _0 = l0;
        _1 = l1;
        _2 = l2;
        _3 = l3;
        _4 = l4;
    }

    public static readonly FieldElement Zero = new(0, 0, 0, 0, 0);
    public static readonly FieldElement One = new(1, 0, 0, 0, 0);

    /// <summary>From 32 little-endian bytes; bit 255 is ignored (RFC 8032 §5.1.3 reads it as the sign of x).</summary>
    public static FieldElement FromBytes(ReadOnlySpan<byte> b) => new(
        Load(b, 0) & Mask,
        (Load(b, 6) >> 3) & Mask,
        (Load(b, 12) >> 6) & Mask,
        (Load(b, 19) >> 1) & Mask,
        (Load(b, 24) >> 12) & Mask);

    public static FieldElement FromBigInteger(BigInteger value)
    {
        Span<byte> bytes = stackalloc byte[32];
        value.TryWriteBytes(bytes, out _, isUnsigned: true, isBigEndian: false);
        return FromBytes(bytes);
    }

    /// <summary>The canonical (fully reduced) 32-byte little-endian encoding.</summary>
    public byte[] ToBytes()
    {
        var (c0, c1, c2, c3, c4) = Carry(_0, _1, _2, _3, _4);
        var (h0, h1, h2, h3, h4) = Carry(c0, c1, c2, c3, c4);
        // Subtract p once when the value is at least p: q is 1 exactly then.
        var q = (h0 + 19) >> 51;
        q = (h1 + q) >> 51;
        q = (h2 + q) >> 51;
        q = (h3 + q) >> 51;
        q = (h4 + q) >> 51;
        h0 += 19 * q;
        h1 += h0 >> 51;
        h0 &= Mask;
        h2 += h1 >> 51;
        h1 &= Mask;
        h3 += h2 >> 51;
        h2 &= Mask;
        h4 += h3 >> 51;
        h3 &= Mask;
        h4 &= Mask;
        var bytes = new byte[32];
        var span = bytes.AsSpan();
        BitConverter.TryWriteBytes(span[0..8], h0 | (h1 << 51));
        BitConverter.TryWriteBytes(span[8..16], (h1 >> 13) | (h2 << 38));
        BitConverter.TryWriteBytes(span[16..24], (h2 >> 26) | (h3 << 25));
        BitConverter.TryWriteBytes(span[24..32], (h3 >> 39) | (h4 << 12));
        return bytes;
    }

    public bool IsZero => ToBytes().AsSpan().IndexOfAnyExcept((byte)0) < 0;

    /// <summary>The low bit of the canonical value (RFC 8032 calls odd x "negative").</summary>
    public bool IsOdd => (ToBytes()[0] & 1) == 1;

    public static FieldElement operator +(FieldElement a, FieldElement b)
    {
        var (h0, h1, h2, h3, h4) = Carry(a._0 + b._0, a._1 + b._1, a._2 + b._2, a._3 + b._3, a._4 + b._4);
        return new FieldElement(h0, h1, h2, h3, h4);
    }

    public static FieldElement operator -(FieldElement a, FieldElement b)
    {
        // Adding 4p first keeps every limb positive for inputs under 2^53.
        var (h0, h1, h2, h3, h4) = Carry(
            a._0 + 0x1FFFFFFFFFFFB4 - b._0,
            a._1 + 0x1FFFFFFFFFFFFC - b._1,
            a._2 + 0x1FFFFFFFFFFFFC - b._2,
            a._3 + 0x1FFFFFFFFFFFFC - b._3,
            a._4 + 0x1FFFFFFFFFFFFC - b._4);
        return new FieldElement(h0, h1, h2, h3, h4);
    }

    public static FieldElement operator -(FieldElement a) => Zero - a;

    public static FieldElement operator *(FieldElement a, FieldElement b)
    {
        ulong a0 = a._0, a1 = a._1, a2 = a._2, a3 = a._3, a4 = a._4;
        ulong b0 = b._0, b1 = b._1, b2 = b._2, b3 = b._3, b4 = b._4;
        // 2^255 = 19 (mod p): limb products past the fifth fold back multiplied by 19.
        ulong b1x = b1 * 19, b2x = b2 * 19, b3x = b3 * 19, b4x = b4 * 19;
        var r0 = M(a0, b0) + M(a1, b4x) + M(a2, b3x) + M(a3, b2x) + M(a4, b1x);
        var r1 = M(a0, b1) + M(a1, b0) + M(a2, b4x) + M(a3, b3x) + M(a4, b2x);
        var r2 = M(a0, b2) + M(a1, b1) + M(a2, b0) + M(a3, b4x) + M(a4, b3x);
        var r3 = M(a0, b3) + M(a1, b2) + M(a2, b1) + M(a3, b0) + M(a4, b4x);
        var r4 = M(a0, b4) + M(a1, b3) + M(a2, b2) + M(a3, b1) + M(a4, b0);

        r1 += r0 >> 51;
        var h0 = (ulong)r0 & Mask;
        r2 += r1 >> 51;
        var h1 = (ulong)r1 & Mask;
        r3 += r2 >> 51;
        var h2 = (ulong)r2 & Mask;
        r4 += r3 >> 51;
        var h3 = (ulong)r3 & Mask;
        var carry = (ulong)(r4 >> 51);
        var h4 = (ulong)r4 & Mask;
        h0 += carry * 19;
        h1 += h0 >> 51;
        h0 &= Mask;
        return new FieldElement(h0, h1, h2, h3, h4);
    }

    /// <summary>this^exponent by square-and-multiply; only public values are ever raised.</summary>
    public FieldElement Pow(BigInteger exponent)
    {
        var bits = exponent.ToByteArray(isUnsigned: true, isBigEndian: false);
        var result = One;
        for (var bit = (int)exponent.GetBitLength() - 1; bit >= 0; bit--)
        {
            result *= result;
            if (((bits[bit >> 3] >> (bit & 7)) & 1) == 1)
                result *= this;
        }
        return result;
    }

    private static ulong Load(ReadOnlySpan<byte> b, int offset) => BitConverter.ToUInt64(b.Slice(offset, 8));

    private static UInt128 M(ulong x, ulong y) => (UInt128)x * y;

    private static (ulong, ulong, ulong, ulong, ulong) Carry(ulong h0, ulong h1, ulong h2, ulong h3, ulong h4)
    {
        h1 += h0 >> 51;
        h0 &= Mask;
        h2 += h1 >> 51;
        h1 &= Mask;
        h3 += h2 >> 51;
        h2 &= Mask;
        h4 += h3 >> 51;
        h3 &= Mask;
        h0 += (h4 >> 51) * 19;
        h4 &= Mask;
        h1 += h0 >> 51;
        h0 &= Mask;
        return (h0, h1, h2, h3, h4);
    }
}
