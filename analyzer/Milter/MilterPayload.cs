using System.Buffers;
using System.Text;

namespace DmarcAnalyzer.Milter;

/// <summary>
/// Reads the fields of a packet's data in place: NUL-terminated strings and big-endian integers. A field that
/// runs past the end of the packet is a protocol error.
/// </summary>
internal ref struct MilterPayload(ReadOnlySequence<byte> data)
{
    private SequenceReader<byte> _reader = new(data);

    public readonly bool End => _reader.End;

    /// <summary>A NUL-terminated string as UTF-8 (addresses, host names, macro values).</summary>
    public string ReadString() => Encoding.UTF8.GetString(ReadTerminated());

    /// <summary>
    /// A NUL-terminated string as Latin-1, which maps every byte to one char and back: header fields may carry
    /// raw 8-bit bytes and DKIM needs them unchanged.
    /// </summary>
    public string ReadRawString() => Encoding.Latin1.GetString(ReadTerminated());

    public uint ReadUInt32()
    {
        if (!_reader.TryReadBigEndian(out int value))
            throw new MilterProtocolException("packet ends inside a 32-bit field");
        return (uint)value;
    }

    public ushort ReadUInt16()
    {
        if (!_reader.TryReadBigEndian(out short value))
            throw new MilterProtocolException("packet ends inside a 16-bit field");
        return (ushort)value;
    }

    public byte ReadByte()
    {
        if (!_reader.TryRead(out var value))
            throw new MilterProtocolException("packet ends before an expected byte");
        return value;
    }

    private ReadOnlySequence<byte> ReadTerminated()
    {
        if (!_reader.TryReadTo(out ReadOnlySequence<byte> value, (byte)0))
            throw new MilterProtocolException("string is not NUL-terminated");
        return value;
    }
}
