using System.Numerics;
using System.Security.Cryptography;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>
/// Ed25519 (RFC 8032 §5.1) over the twisted Edwards curve in extended coordinates, written on
/// <see cref="BigInteger"/> because the framework has no Ed25519. Verification only ever sees public data;
/// signing is not constant-time, which is acceptable for test and low-volume outbound signing only.
/// </summary>
internal static class Ed25519
{
    public const int KeySize = 32;
    public const int SignatureSize = 64;

    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");
    private static readonly BigInteger D = Mod(-121665 * Inverse(121666));
    private static readonly BigInteger D2 = Mod(2 * D);
    private static readonly BigInteger SqrtMinusOne = BigInteger.ModPow(2, (P - 1) / 4, P);
    private static readonly Point Identity = new(0, 1, 1, 0);
    private static readonly Point Base = BasePoint();

    private readonly record struct Point(BigInteger X, BigInteger Y, BigInteger Z, BigInteger T);

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
        var left = Multiply(Base, s);
        var right = Add(r, Multiply(a, k));
        return SamePoint(left, right);
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
        ToLittleEndian(s).CopyTo(signature, 32);
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
        var a = Mod((p.Y - p.X) * (q.Y - q.X));
        var b = Mod((p.Y + p.X) * (q.Y + q.X));
        var c = Mod(p.T * D2 * q.T);
        var d = Mod(2 * p.Z * q.Z);
        var e = b - a;
        var f = d - c;
        var g = d + c;
        var h = b + a;
        return new Point(Mod(e * f), Mod(g * h), Mod(f * g), Mod(e * h));
    }

    private static Point Multiply(Point p, BigInteger scalar)
    {
        var result = Identity;
        var addend = p;
        while (!scalar.IsZero)
        {
            if (!scalar.IsEven)
                result = Add(result, addend);
            addend = Add(addend, addend);
            scalar >>= 1;
        }
        return result;
    }

    private static bool SamePoint(Point p, Point q) =>
        Mod(p.X * q.Z - q.X * p.Z).IsZero && Mod(p.Y * q.Z - q.Y * p.Z).IsZero;

    private static byte[] Encode(Point p)
    {
        var zInverse = Inverse(p.Z);
        var x = Mod(p.X * zInverse);
        var y = Mod(p.Y * zInverse);
        var bytes = ToLittleEndian(y);
        if (!x.IsEven)
            bytes[31] |= 0x80;
        return bytes;
    }

    // §5.1.3; non-canonical y (y >= p) and x = 0 with the sign bit set are refused.
    private static Point? Decode(ReadOnlySpan<byte> encoded)
    {
        Span<byte> copy = stackalloc byte[KeySize];
        encoded.CopyTo(copy);
        var sign = copy[31] >> 7;
        copy[31] &= 0x7f;
        var y = FromLittleEndian(copy);
        if (y >= P)
            return null;
        var y2 = Mod(y * y);
        var u = Mod(y2 - 1);
        var v = Mod(D * y2 + 1);
        var x2 = Mod(u * Inverse(v));
        if (x2.IsZero)
        {
            if (sign == 1)
                return null;
            return new Point(0, y, 1, 0);
        }
        var x = BigInteger.ModPow(x2, (P + 3) / 8, P);
        if (Mod(x * x - x2) != 0)
        {
            x = Mod(x * SqrtMinusOne);
            if (Mod(x * x - x2) != 0)
                return null;
        }
        if ((int)(x & 1) != sign)
            x = P - x;
        return new Point(x, y, 1, Mod(x * y));
    }

    private static Point BasePoint()
    {
        var y = Mod(4 * Inverse(5));
        Span<byte> encoded = stackalloc byte[KeySize];
        ToLittleEndian(y).CopyTo(encoded);
        return Decode(encoded) ?? throw new InvalidOperationException("Ed25519 base point does not decode");
    }

    private static BigInteger Mod(BigInteger value) => Mod(value, P);

    private static BigInteger Mod(BigInteger value, BigInteger modulus)
    {
        var r = BigInteger.Remainder(value, modulus);
        return r.Sign < 0 ? r + modulus : r;
    }

    private static BigInteger Inverse(BigInteger value) => BigInteger.ModPow(Mod(value), P - 2, P);

    private static BigInteger FromLittleEndian(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: false);

    private static byte[] ToLittleEndian(BigInteger value)
    {
        var bytes = new byte[KeySize];
        value.TryWriteBytes(bytes, out _, isUnsigned: true, isBigEndian: false);
        return bytes;
    }
}
