using System.Buffers.Binary;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// LZMA2 (7z coder 21, the xz format's filter 0x21): a run of chunks, each stored or LZMA-coded with its own range
/// coder, that may reset the dictionary, the state or the properties (xz-file-format.txt and the LZMA SDK's
/// description of the chunk control byte). Decodes into an <see cref="LzmaDecoder"/>, whose limit bounds it.
/// </summary>
internal static class Lzma2Decoder
{
    /// <summary>Decodes up to the end chunk; null when the data ended properly, else why not.</summary>
    public static string? Decode(ReadOnlySpan<byte> input, LzmaDecoder decoder)
    {
        var at = 0;
        var haveDictionary = false;
        var haveProperties = false;
        while (at < input.Length)
        {
            var control = input[at++];
            if (control == 0x00)
                return null;
            if (control is 0x01 or 0x02)
            {
                // A stored chunk: 16-bit size minus one, 0x01 resetting the dictionary first.
                if (at + 2 > input.Length)
                    break;
                var size = BinaryPrimitives.ReadUInt16BigEndian(input[at..]) + 1;
                at += 2;
                if (control == 0x01)
                {
                    decoder.ResetDictionary();
                    haveDictionary = true;
                }
                if (!haveDictionary)
                    return "LZMA2 data does not start with a dictionary reset";
                if (at + size > input.Length)
                    break;
                if (!decoder.Append(input.Slice(at, size)))
                    return "LZMA2 data larger than the limit";
                at += size;
                continue;
            }
            if (control < 0x80)
                return $"LZMA2 chunk type {control:X2} unknown";
            // An LZMA chunk: bits 0-4 and two bytes are the unpacked size minus one, two more the packed size minus
            // one; bits 5-6 say what is reset: 1 the state, 2 also the properties (a byte follows), 3 also the dictionary.
            if (at + 4 > input.Length)
                break;
            var unpacked = ((control & 0x1F) << 16) + BinaryPrimitives.ReadUInt16BigEndian(input[at..]) + 1;
            var packed = BinaryPrimitives.ReadUInt16BigEndian(input[(at + 2)..]) + 1;
            at += 4;
            var reset = (control >> 5) & 3;
            if (reset == 3)
            {
                decoder.ResetDictionary();
                haveDictionary = true;
            }
            if (!haveDictionary)
                return "LZMA2 data does not start with a dictionary reset";
            if (reset >= 2)
            {
                if (at >= input.Length)
                    break;
                if (!decoder.SetProperties(input[at++]))
                    return "LZMA2 properties out of range";
                haveProperties = true;
            }
            else if (!haveProperties)
                return "LZMA2 data does not set its properties";
            else if (reset == 1)
                decoder.ResetState();
            if (at + packed > input.Length)
                break;
            var before = decoder.Output.Length;
            if (decoder.Decode(input.Slice(at, packed), unpacked) is { } error)
                return error;
            if (decoder.Output.Length - before != unpacked)
                return "LZMA2 chunk shorter than it says";
            at += packed;
        }
        return "LZMA2 data cut short";
    }
}
