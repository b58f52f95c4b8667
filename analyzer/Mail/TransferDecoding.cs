using System.Buffers;
using System.Buffers.Text;

namespace DmarcAnalyzer.Mail;

/// <summary>Content-Transfer-Encoding decoders (RFC 2045 §6), lenient the way real mail needs.</summary>
internal static class TransferDecoding
{
    private const byte NotBase64 = 0xFF;

    private static readonly byte[] Base64Values = BuildBase64Values();

    /// <summary>
    /// RFC 2045 §6.8: characters outside the alphabet are ignored. Padding is optional and ends a group, so
    /// truncated or concatenated base64 still yields every complete byte.
    /// </summary>
    public static byte[] DecodeBase64(ReadOnlySpan<byte> input)
    {
        var output = new byte[input.Length / 4 * 3 + 3];
        // Fast path for well-formed input (the framework's decoder skips line breaks); anything else is redone below.
        if (Base64.DecodeFromUtf8(input, output, out _, out var fastWritten) == OperationStatus.Done)
            return fastWritten == output.Length ? output : output[..fastWritten];
        var written = 0;
        var group = 0;
        var count = 0;
        foreach (var b in input)
        {
            var value = Base64Values[b];
            if (value != NotBase64)
            {
                group = (group << 6) | value;
                if (++count == 4)
                {
                    output[written++] = (byte)(group >> 16);
                    output[written++] = (byte)(group >> 8);
                    output[written++] = (byte)group;
                    group = 0;
                    count = 0;
                }
            }
            else if (b == '=')
            {
                written = FlushPartialGroup(output, written, group, count);
                group = 0;
                count = 0;
            }
        }
        written = FlushPartialGroup(output, written, group, count);
        return written == output.Length ? output : output[..written];
    }

    /// <summary>
    /// RFC 2045 §6.7 quoted-printable; with <paramref name="qEncoding"/> the RFC 2047 §4.2 "Q" variant where
    /// '_' is a space. Malformed '=' sequences are kept literally (rule 1 lets decoders do so).
    /// </summary>
    public static byte[] DecodeQuotedPrintable(ReadOnlySpan<byte> input, bool qEncoding = false)
    {
        var output = new byte[input.Length];
        var written = 0;
        var i = 0;
        while (i < input.Length)
        {
            var b = input[i];
            if (b == '=')
            {
                if (i + 2 < input.Length && IsHex(input[i + 1]) && IsHex(input[i + 2]))
                {
                    output[written++] = (byte)((HexValue(input[i + 1]) << 4) | HexValue(input[i + 2]));
                    i += 3;
                    continue;
                }
                var j = SkipBlanks(input, i + 1);
                if (j == input.Length)
                    i = j;
                else if (input[j] == '\n')
                    i = j + 1;
                else if (input[j] == '\r')
                    i = j + 1 < input.Length && input[j + 1] == '\n' ? j + 2 : j + 1;
                else
                {
                    output[written++] = b;
                    i++;
                }
            }
            else if (!qEncoding && (b == ' ' || b == '\t'))
            {
                // Rule 3: whitespace at the end of an encoded line was added in transport and is dropped.
                var j = SkipBlanks(input, i);
                if (j == input.Length || input[j] == '\r' || input[j] == '\n')
                {
                    i = j;
                    continue;
                }
                input[i..j].CopyTo(output.AsSpan(written));
                written += j - i;
                i = j;
            }
            else
            {
                output[written++] = qEncoding && b == '_' ? (byte)' ' : b;
                i++;
            }
        }
        return written == output.Length ? output : output[..written];
    }

    private static int FlushPartialGroup(byte[] output, int written, int group, int count)
    {
        switch (count)
        {
            case 2:
                output[written++] = (byte)(group >> 4);
                break;
            case 3:
                output[written++] = (byte)(group >> 10);
                output[written++] = (byte)(group >> 2);
                break;
        }
        return written;
    }

    private static int SkipBlanks(ReadOnlySpan<byte> input, int i)
    {
        while (i < input.Length && (input[i] == ' ' || input[i] == '\t'))
            i++;
        return i;
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    private static byte[] BuildBase64Values()
    {
        var values = new byte[256];
        Array.Fill(values, NotBase64);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (var i = 0; i < alphabet.Length; i++)
            values[alphabet[i]] = (byte)i;
        return values;
    }
}
