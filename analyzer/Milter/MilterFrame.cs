using System.Buffers;
using System.Buffers.Binary;

namespace DmarcAnalyzer.Milter;

/// <summary>
/// One milter packet: a 4-byte big-endian length N, a command byte, N−1 bytes of data. The data is a slice of
/// the connection's pipe buffer, valid only until the reader advances past it: nothing is copied here.
/// </summary>
internal readonly record struct MilterFrame(byte Command, ReadOnlySequence<byte> Data)
{
    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/>, or returns false when the frame is not
    /// complete yet (the caller waits for more bytes). A length of zero or above <paramref name="maxPacketSize"/>
    /// is a protocol error: the connection is closed rather than buffered without bound.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxPacketSize, out MilterFrame frame)
    {
        frame = default;
        if (buffer.Length < 4)
            return false;
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        if (length == 0)
            throw new MilterProtocolException("packet of length 0 has no command byte");
        if (length > (uint)maxPacketSize)
            throw new MilterProtocolException($"packet of {length} bytes exceeds the limit of {maxPacketSize}");
        if (buffer.Length - 4 < length)
            return false;
        var packet = buffer.Slice(4, length);
        frame = new MilterFrame(packet.FirstSpan[0], packet.Slice(1));
        buffer = buffer.Slice(packet.End);
        return true;
    }
}

/// <summary>A peer broke the protocol: the connection it came on is closed, nothing else is affected.</summary>
internal sealed class MilterProtocolException(string message) : Exception(message);
