using System.Buffers.Binary;

namespace DmarcAnalyzer.Archives;

/// <summary>
/// LZMA2 (7z coder 21, the xz format's filter 0x21): a run of chunks, each stored or LZMA-coded with its own range
/// coder, that may reset the dictionary, the state or the properties (xz-file-format.txt and the LZMA SDK's
/// description of the chunk control byte). Decodes into an <see cref="LzmaDecoder"/>, whose limit bounds it.
/// </summary>
internal static class Lzma2Decoder
{
    /// <summary>
    /// A 7z header takes a few chunks (each up to 2 MiB unpacked, 64 KiB packed); a stream of many tiny ones, each
    /// resetting tables, would cost far more work than its size.
    /// </summary>
    public const int MaxChunks = 4096;

    /// <summary>
    /// The lowest control byte an LZMA chunk may have next (the LZMA SDK's Lzma2Dec): at the start a dictionary
    /// reset (E0), after a stored chunk that reset the dictionary new properties (C0), else any (80).
    /// </summary>
    private const int NeedDictionaryReset = 0xE0;
    private const int NeedProperties = 0xC0;
    private const int NeedNothing = 0x80;

    /// <summary>Decodes up to the end chunk; null when the data ended properly, else why not.</summary>
    public static string? Decode(ReadOnlySpan<byte> input, LzmaDecoder decoder)
    {
        var at = 0;
        var needed = NeedDictionaryReset;
        for (var chunks = 0; at < input.Length; chunks++)
        {
            var control = input[at++];
            if (control == 0x00)
                return null;
            if (chunks == MaxChunks)
                return $"LZMA2 data of more than {MaxChunks} chunks";
            if (control is 0x01 or 0x02)
            {
                // A stored chunk: 16-bit size minus one, 0x01 resetting the dictionary first.
                if (control == 0x01)
                {
                    decoder.ResetDictionary();
                    needed = NeedProperties;
                }
                else if (needed == NeedDictionaryReset)
                    return "LZMA2 data does not start with a dictionary reset";
                if (at + 2 > input.Length)
                    break;
                var size = BinaryPrimitives.ReadUInt16BigEndian(input[at..]) + 1;
                at += 2;
                if (at + size > input.Length)
                    break;
                if (!decoder.Append(input.Slice(at, size)))
                    return "LZMA2 data larger than the limit";
                at += size;
                continue;
            }
            if (control < 0x80)
                return $"LZMA2 chunk type {control:X2} unknown";
            if (control < needed)
                return needed == NeedDictionaryReset
                    ? "LZMA2 data does not start with a dictionary reset"
                    : "LZMA2 chunk after a dictionary reset does not set its properties";
            needed = NeedNothing;
            // An LZMA chunk: bits 0-4 and two bytes are the unpacked size minus one, two more the packed size minus
            // one; bits 5-6 say what is reset: 1 the state, 2 also the properties (a byte follows), 3 also the dictionary.
            if (at + 4 > input.Length)
                break;
            var unpacked = ((control & 0x1F) << 16) + BinaryPrimitives.ReadUInt16BigEndian(input[at..]) + 1;
            var packed = BinaryPrimitives.ReadUInt16BigEndian(input[(at + 2)..]) + 1;
            at += 4;
            var reset = (control >> 5) & 3;
            if (reset == 3)
                decoder.ResetDictionary();
            if (reset >= 2)
            {
                if (at >= input.Length)
                    break;
                if (!decoder.SetProperties(input[at++]))
                    return "LZMA2 properties out of range";
            }
            else if (reset == 1)
                decoder.ResetState();
            if (at + packed > input.Length)
                break;
            var before = decoder.Output.Length;
            // A chunk says its size: an end marker inside it is damage (xz and 7-Zip refuse it too).
            if (decoder.Decode(input.Slice(at, packed), unpacked, endMarkerAllowed: false) is { } error)
                return error;
            if (decoder.Output.Length - before != unpacked)
                return "LZMA2 chunk shorter than it says";
            at += packed;
        }
        return "LZMA2 data cut short";
    }
}
