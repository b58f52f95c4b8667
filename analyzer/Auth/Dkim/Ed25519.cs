using System.Numerics;
using System.Security.Cryptography;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>
/// Ed25519 (RFC 8032 §5.1) over the twisted Edwards curve in extended coordinates, since the framework has none.
/// Field arithmetic is <see cref="FieldElement"/>; scalars mod L are <see cref="BigInteger"/>. Verification only
/// sees public data; signing is not constant-time, acceptable for tests and low-volume outbound signing.
/// </summary>
internal static class Ed25519
{
    public const int KeySize = 32;
    public const int SignatureSize = 64;

    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");
    private static readonly FieldElement D = FieldElement.FromBigInteger(Mod(-121665 * BigInteger.ModPow(121666, P - 2, P), P));
    private static readonly FieldElement D2 = D + D;
    private static readonly FieldElement SqrtMinusOne = FieldElement.FromBigInteger(BigInteger.ModPow(2, (P - 1) / 4, P));
    private static readonly BigInteger SqrtExponent = (P - 5) / 8;
    private static readonly BigInteger InverseExponent = P - 2;
    private static readonly Point Identity = new(FieldElement.Zero, FieldElement.One, FieldElement.One, FieldElement.Zero);
    private static readonly Point Base = BasePoint();

    private readonly record struct Point(FieldElement X, FieldElement Y, FieldElement Z, FieldElement T);

    /// <summary>RFC 8032 §5.1.7, cofactorless: [S]B = R + [k]A. Malformed keys or signatures verify as false.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != KeySize || signature.Length != SignatureSize)
            return false;
        if (Decode(publicKey) is not { } a || Decode(signature[..32]) is not { } r)
            return false;
        var s = FromLittleEndian(signature[32..]);
        if (s >= L)
            return false;
        var k = HashToScalar(signature[..32], publicKey, message);
        return SamePoint(Multiply(Base, s), Add(r, Multiply(a, k)));
    }

    /// <summary>RFC 8032 §5.1.5: the public key of a 32-byte secret seed.</summary>
    public static byte[] PublicKey(ReadOnlySpan<byte> seed)
    {
        var (scalar, _) = Expand(seed);
        return Encode(Multiply(Base, scalar));
    }

    /// <summary>RFC 8032 §5.1.6.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message)
    {
        var (a, prefix) = Expand(seed);
        var publicKey = Encode(Multiply(Base, a));
        var r = Mod(FromLittleEndian(Sha512(prefix, message)), L);
        var encodedR = Encode(Multiply(Base, r));
        var k = HashToScalar(encodedR, publicKey, message);
        var s = Mod(r + k * a, L);
        var signature = new byte[SignatureSize];
        encodedR.CopyTo(signature, 0);
        s.TryWriteBytes(signature.AsSpan(32), out _, isUnsigned: true, isBigEndian: false);
        return signature;
    }

    private static (BigInteger Scalar, byte[] Prefix) Expand(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != KeySize)
            throw new ArgumentException($"an Ed25519 secret key is {KeySize} bytes, not {seed.Length}", nameof(seed));
        var h = SHA512.HashData(seed);
        // §5.1.5 step 2: clear the low three bits and the top bit, set bit 254.
        h[0] &= 248;
        h[31] &= 127;
        h[31] |= 64;
        return (FromLittleEndian(h.AsSpan(0, 32)), h[32..]);
    }

    private static BigInteger HashToScalar(ReadOnlySpan<byte> r, ReadOnlySpan<byte> a, ReadOnlySpan<byte> message)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        sha.AppendData(r);
        sha.AppendData(a);
        sha.AppendData(message);
        return Mod(FromLittleEndian(sha.GetHashAndReset()), L);
    }

    private static byte[] Sha512(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        sha.AppendData(first);
        sha.AppendData(second);
        return sha.GetHashAndReset();
    }

    // §5.1.4: addition in extended coordinates (complete, so it also doubles).
    private static Point Add(Point p, Point q)
    {
        var a = (p.Y - p.X) * (q.Y - q.X);
        var b = (p.Y + p.X) * (q.Y + q.X);
        var c = p.T * D2 * q.T;
        var zz = p.Z * q.Z;
        var d = zz + zz;
        var e = b - a;
        var f = d - c;
        var g = d + c;
        var h = b + a;
        return new Point(e * f, g * h, f * g, e * h);
    }

    // §5.1.4: doubling, cheaper than the general addition.
    private static Point Double(Point p)
    {
        var a = p.X * p.X;
        var b = p.Y * p.Y;
        var zz = p.Z * p.Z;
        var c = zz + zz;
        var h = a + b;
        var xy = p.X + p.Y;
        var e = h - xy * xy;
        var g = a - b;
        var f = c + g;
        return new Point(e * f, g * h, f * g, e * h);
    }

    private static Point Multiply(Point p, BigInteger scalar)
    {
        var bits = scalar.ToByteArray(isUnsigned: true, isBigEndian: false);
        var result = Identity;
        for (var bit = (int)scalar.GetBitLength() - 1; bit >= 0; bit--)
        {
            result = Double(result);
            if (((bits[bit >> 3] >> (bit & 7)) & 1) == 1)
                result = Add(result, p);
        }
        return result;
    }

    private static bool SamePoint(Point p, Point q) =>
        (p.X * q.Z - q.X * p.Z).IsZero && (p.Y * q.Z - q.Y * p.Z).IsZero;

    private static byte[] Encode(Point p)
    {
        var zInverse = p.Z.Pow(InverseExponent);
        var bytes = (p.Y * zInverse).ToBytes();
        if ((p.X * zInverse).IsOdd)
            bytes[31] |= 0x80;
        return bytes;
    }

    // §5.1.3; non-canonical y (y >= p) and x = 0 with the sign bit set are refused.
    private static Point? Decode(ReadOnlySpan<byte> encoded)
    {
        var sign = encoded[31] >> 7;
        var y = FieldElement.FromBytes(encoded);
        Span<byte> copy = stackalloc byte[KeySize];
        encoded.CopyTo(copy);
        copy[31] &= 0x7f;
        if (!copy.SequenceEqual(y.ToBytes()))
            return null;
        var y2 = y * y;
        var u = y2 - FieldElement.One;
        var v = D * y2 + FieldElement.One;
        // §5.1.3 step 2: x = u v^3 (u v^7)^((p-5)/8), a square root of u/v without an inversion.
        var v3 = v * v * v;
        var x = u * v3 * (u * v3 * v3 * v).Pow(SqrtExponent);
        var vx2 = v * x * x;
        if (!(vx2 - u).IsZero)
        {
            if (!(vx2 + u).IsZero)
                return null;
            x *= SqrtMinusOne;
        }
        if (x.IsZero && sign == 1)
            return null;
        if ((x.IsOdd ? 1 : 0) != sign)
            x = -x;
        return new Point(x, y, FieldElement.One, x * y);
    }

    private static Point BasePoint()
    {
        var y = Mod(4 * BigInteger.ModPow(5, P - 2, P), P);
        Span<byte> encoded = stackalloc byte[KeySize];
        y.TryWriteBytes(encoded, out _, isUnsigned: true, isBigEndian: false);
        return Decode(encoded) ?? throw new InvalidOperationException("Ed25519 base point does not decode");
    }

    private static BigInteger Mod(BigInteger value, BigInteger modulus)
    {
        var r = BigInteger.Remainder(value, modulus);
        return r.Sign < 0 ? r + modulus : r;
    }

    private static BigInteger FromLittleEndian(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: false);
}
