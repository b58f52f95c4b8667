using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace DmarcAnalyzer.Milter;

/// <summary>
/// Writes reply packets into the connection's output buffer. Nothing is sent until the connection flushes,
/// so the modifications and final reply of one message leave in one write (no Nagle/delayed-ACK stalls).
/// </summary>
internal static class MilterReplyWriter
{
    /// <summary>Largest data part of one packet the MTA accepts by default; body replacement is split to it.</summary>
    public const int MaxDataChunk = 65_535;

    public static void Write(IBufferWriter<byte> output, byte code) => WritePacket(output, code, []);

    public static void WriteNegotiation(IBufferWriter<byte> output, uint version, MilterActions actions,
        MilterProtocolFlags protocol, IReadOnlyList<(MilterMacroStage Stage, string Names)> macros)
    {
        var length = 12;
        foreach (var (_, names) in macros)
            length += 4 + Encoding.ASCII.GetByteCount(names) + 1;
        var span = Begin(output, MilterReplyCode.OptionNegotiation, length);
        BinaryPrimitives.WriteUInt32BigEndian(span, version);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)actions);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], (uint)protocol);
        var at = 12;
        foreach (var (stage, names) in macros)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)stage);
            at += 4;
            at += Encoding.ASCII.GetBytes(names, span[at..]);
            span[at++] = 0;
        }
        output.Advance(5 + length);
    }

    public static void Write(IBufferWriter<byte> output, MilterReply reply)
    {
        switch (reply)
        {
            case MilterReply.Simple simple:
                Write(output, simple.Code);
                break;
            case MilterReply.Custom custom:
                // The MTA hands the text to printf-style formatting: a literal % must be doubled (after the cap, so
                // that no lone % is left at the end).
                // Each '%' doubles on the wire (milter replies are format strings): cut until the doubled text fits.
                var text = MilterText.SingleLine(custom.Text, MilterText.MaxReplyBytes);
                while (Encoding.UTF8.GetByteCount(text) + text.Count(c => c == '%') > MilterText.MaxReplyBytes)
                    text = text[..(char.IsLowSurrogate(text[^1]) ? ^2 : ^1)];
                text = text.Replace("%", "%%");
                WriteStrings(output, MilterReplyCode.ReplyCode, [$"{custom.Code} {text}"]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(reply));
        }
    }

    public static void Write(IBufferWriter<byte> output, MilterModification modification)
    {
        switch (modification)
        {
            case MilterModification.AddHeader add:
                WriteStrings(output, MilterReplyCode.AddHeader, [add.Name, MilterText.HeaderValue(add.Value)]);
                break;
            case MilterModification.InsertHeader insert:
                WriteStrings(output, MilterReplyCode.InsertHeader, [insert.Name, MilterText.HeaderValue(insert.Value)], insert.Index);
                break;
            case MilterModification.ChangeHeader change:
                WriteStrings(output, MilterReplyCode.ChangeHeader, [change.Name, change.Value is null ? "" : MilterText.HeaderValue(change.Value)], change.Index);
                break;
            case MilterModification.Quarantine quarantine:
                WriteStrings(output, MilterReplyCode.Quarantine, [MilterText.SingleLine(quarantine.Reason, MilterText.MaxLineBytes)]);
                break;
            case MilterModification.ReplaceBody body:
                var data = body.Body.Span;
                do
                {
                    var chunk = data[..Math.Min(data.Length, MaxDataChunk)];
                    WritePacket(output, MilterReplyCode.ReplaceBody, chunk);
                    data = data[chunk.Length..];
                } while (!data.IsEmpty);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(modification));
        }
    }

    private static void WriteStrings(IBufferWriter<byte> output, byte code, string[] values, uint? index = null)
    {
        var length = index is null ? 0 : 4;
        foreach (var value in values)
            length += Encoding.UTF8.GetByteCount(value) + 1;
        var span = Begin(output, code, length);
        var at = 0;
        if (index is { } i)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span, i);
            at = 4;
        }
        foreach (var value in values)
        {
            at += Encoding.UTF8.GetBytes(value, span[at..]);
            span[at++] = 0;
        }
        output.Advance(5 + length);
    }

    private static void WritePacket(IBufferWriter<byte> output, byte code, ReadOnlySpan<byte> data)
    {
        var span = Begin(output, code, data.Length);
        data.CopyTo(span);
        output.Advance(5 + data.Length);
    }

    /// <summary>Writes the header of a packet and returns the span where its data goes.</summary>
    private static Span<byte> Begin(IBufferWriter<byte> output, byte code, int dataLength)
    {
        var span = output.GetSpan(5 + dataLength);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)dataLength + 1);
        span[4] = code;
        return span.Slice(5, dataLength);
    }
}
