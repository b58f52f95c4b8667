namespace DmarcAnalyzer.Archives;

/// <summary>
/// An LZMA decoder written from Igor Pavlov's "LZMA specification", for the small compressed headers of 7z files.
/// It decodes into memory, at most <c>limit</c> bytes, and never reads past its input: damaged data ends with an
/// error text, never an exception or a loop (every step but the end marker writes at least one byte). The
/// probabilities, state and output persist between calls so that LZMA2 chunks can continue one another. The work is
/// bounded by the limit; <paramref name="cancellation"/> is asked every 65,536 steps so that it ends early too.
/// </summary>
internal sealed class LzmaDecoder(int limit, CancellationToken cancellation = default)
{
    private const int CancellationCheckMask = (1 << 16) - 1;

    private const int States = 12;
    private const int MaxPosBits = 4;
    private const int MatchMinLength = 2;
    private const int LengthToPosStates = 4;
    private const int EndPosModelIndex = 14;
    private const int FullDistances = 1 << (EndPosModelIndex >> 1);
    private const int AlignBits = 4;

    private byte[] output = new byte[Math.Min(limit, 1 << 16)];
    private int length;
    private int dictionaryStart;

    private int literalContextBits;
    private int literalPosMask;
    private int posMask;
    private ushort[] literals = [];
    private int literalsUsed;
    private readonly ushort[] isMatch = new ushort[States << MaxPosBits];
    private readonly ushort[] isRep = new ushort[States];
    private readonly ushort[] isRepG0 = new ushort[States];
    private readonly ushort[] isRepG1 = new ushort[States];
    private readonly ushort[] isRepG2 = new ushort[States];
    private readonly ushort[] isRep0Long = new ushort[States << MaxPosBits];
    private readonly ushort[] posSlots = new ushort[LengthToPosStates << 6];
    private readonly ushort[] posSpecial = new ushort[1 + FullDistances - EndPosModelIndex];
    private readonly ushort[] align = new ushort[1 << AlignBits];
    private readonly LengthDecoder lengths = new();
    private readonly LengthDecoder repLengths = new();
    private int state;
    private uint rep0, rep1, rep2, rep3;

    /// <summary>What has been decoded so far.</summary>
    public ReadOnlySpan<byte> Output => output.AsSpan(0, length);

    /// <summary>
    /// Takes lc, lp and pb from the properties byte ((pb * 5 + lp) * 9 + lc) and resets the state; false when a
    /// value is out of range. lc + lp above 4 is refused too: LZMA2 forbids it, xz and 7-Zip never write it, and its
    /// literal tables would take up to 6 MB. The dictionary size needs no setting: all output is kept, so any
    /// distance back into it is reachable. The literal table is reused while lc + lp does not grow: LZMA2 may set
    /// properties at every chunk.
    /// </summary>
    public bool SetProperties(byte properties)
    {
        if (properties >= 9 * 5 * 5)
            return false;
        literalContextBits = properties % 9;
        var literalPosBits = properties / 9 % 5;
        var posBits = properties / 45;
        if (literalContextBits + literalPosBits > 4)
            return false;
        literalPosMask = (1 << literalPosBits) - 1;
        posMask = (1 << posBits) - 1;
        literalsUsed = 0x300 << (literalContextBits + literalPosBits);
        if (literals.Length < literalsUsed)
            literals = new ushort[literalsUsed];
        ResetState();
        return true;
    }

    /// <summary>All probabilities back to one half, the state and the repeated distances to their start.</summary>
    public void ResetState()
    {
        literals.AsSpan(0, literalsUsed).Fill(RangeDecoder.HalfProbability);
        foreach (var table in (ushort[][])[isMatch, isRep, isRepG0, isRepG1, isRepG2, isRep0Long, posSlots, posSpecial, align])
            Array.Fill(table, RangeDecoder.HalfProbability);
        lengths.Reset();
        repLengths.Reset();
        state = 0;
        rep0 = rep1 = rep2 = rep3 = 0;
    }

    /// <summary>Later matches may not reach before this point (an LZMA2 dictionary reset).</summary>
    public void ResetDictionary() => dictionaryStart = length;

    /// <summary>Appends bytes that were stored uncompressed (an LZMA2 uncompressed chunk); false past the limit.</summary>
    public bool Append(ReadOnlySpan<byte> bytes)
    {
        if (!MakeRoom(bytes.Length))
            return false;
        bytes.CopyTo(output.AsSpan(length));
        length += bytes.Length;
        return true;
    }

    /// <summary>
    /// Decodes one range-coded stream from <paramref name="input"/>: exactly <paramref name="size"/> bytes when
    /// given (an end marker may still close them unless <paramref name="endMarkerAllowed"/> is false, as in LZMA2),
    /// else up to the end marker. Null when it ended as the specification says, else why not.
    /// </summary>
    public string? Decode(ReadOnlySpan<byte> input, long? size, bool endMarkerAllowed = true)
    {
        var rc = new RangeDecoder(input);
        var left = size ?? long.MaxValue;
        for (var steps = 0; !rc.Corrupt; steps++)
        {
            if ((steps & CancellationCheckMask) == 0)
                cancellation.ThrowIfCancellationRequested();
            if (size is not null && left == 0 && rc.FinishedCleanly)
                return null;
            var position = length - dictionaryStart;
            var posState = position & posMask;
            if (rc.Bit(ref isMatch[(state << MaxPosBits) + posState]) == 0)
            {
                if (left == 0)
                    return "LZMA data goes on past its size";
                if (!MakeRoom(1))
                    return Limit();
                DecodeLiteral(ref rc, position);
                left--;
                continue;
            }
            int matchLength;
            if (rc.Bit(ref isRep[state]) != 0)
            {
                if (left == 0)
                    return "LZMA data goes on past its size";
                if (position == 0)
                    return "LZMA repeats a match before any data";
                if (rc.Bit(ref isRepG0[state]) == 0)
                {
                    // The last distance may predate a dictionary reset that kept the state.
                    if (rep0 >= (uint)position)
                        return "LZMA match reaches before the start of the data";
                    if (rc.Bit(ref isRep0Long[(state << MaxPosBits) + posState]) == 0)
                    {
                        // A short rep: one byte from the last distance.
                        if (!MakeRoom(1))
                            return Limit();
                        state = state < 7 ? 9 : 11;
                        output[length] = output[length - (int)rep0 - 1];
                        length++;
                        left--;
                        continue;
                    }
                }
                else
                {
                    uint distance;
                    if (rc.Bit(ref isRepG1[state]) == 0)
                        distance = rep1;
                    else
                    {
                        if (rc.Bit(ref isRepG2[state]) == 0)
                            distance = rep2;
                        else
                        {
                            distance = rep3;
                            rep3 = rep2;
                        }
                        rep2 = rep1;
                    }
                    rep1 = rep0;
                    rep0 = distance;
                    if (rep0 >= (uint)position)
                        return "LZMA match reaches before the start of the data";
                }
                matchLength = repLengths.Decode(ref rc, posState);
                state = state < 7 ? 8 : 11;
            }
            else
            {
                rep3 = rep2;
                rep2 = rep1;
                rep1 = rep0;
                matchLength = lengths.Decode(ref rc, posState);
                state = state < 7 ? 7 : 10;
                rep0 = DecodeDistance(ref rc, matchLength);
                if (rep0 == uint.MaxValue)
                {
                    if (!endMarkerAllowed)
                        return "LZMA end marker where the size is given";
                    return rc.FinishedCleanly && !rc.Corrupt ? null : "LZMA end marker in damaged data";
                }
                if (left == 0)
                    return "LZMA data goes on past its size";
                if (rep0 >= (uint)position)
                    return "LZMA match reaches before the start of the data";
            }
            var count = matchLength + MatchMinLength;
            if (count > left)
                return "LZMA match goes on past the data's size";
            if (!MakeRoom(count))
                return Limit();
            // Byte by byte: a match may overlap the bytes it is writing.
            var from = length - (int)rep0 - 1;
            for (var i = 0; i < count; i++)
                output[length + i] = output[from + i];
            length += count;
            left -= count;
        }
        return "LZMA data damaged or cut short";
    }

    private void DecodeLiteral(ref RangeDecoder rc, int position)
    {
        var previous = length > dictionaryStart ? output[length - 1] : 0;
        var context = ((position & literalPosMask) << literalContextBits) + (previous >> (8 - literalContextBits));
        var probabilities = literals.AsSpan(0x300 * context, 0x300);
        var symbol = 1;
        if (state >= 7)
        {
            // After a match the byte at the last distance guides the first bits, until one differs.
            int matchByte = output[length - (int)rep0 - 1];
            do
            {
                var matchBit = (matchByte >> 7) & 1;
                matchByte <<= 1;
                var bit = rc.Bit(ref probabilities[((1 + matchBit) << 8) + symbol]);
                symbol = (symbol << 1) | bit;
                if (matchBit != bit)
                    break;
            }
            while (symbol < 0x100);
        }
        while (symbol < 0x100)
            symbol = (symbol << 1) | rc.Bit(ref probabilities[symbol]);
        output[length++] = (byte)symbol;
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
    }

    private uint DecodeDistance(ref RangeDecoder rc, int matchLength)
    {
        var lengthState = Math.Min(matchLength, LengthToPosStates - 1);
        var slot = (uint)rc.BitTree(posSlots.AsSpan(lengthState << 6, 1 << 6), 6);
        if (slot < 4)
            return slot;
        var directBits = (int)(slot >> 1) - 1;
        var distance = (2 | (slot & 1)) << directBits;
        if (slot < EndPosModelIndex)
            return distance + rc.ReverseBitTree(posSpecial.AsSpan((int)(distance - slot)), directBits);
        distance += rc.DirectBits(directBits - AlignBits) << AlignBits;
        return distance + rc.ReverseBitTree(align, AlignBits);
    }

    private bool MakeRoom(int count)
    {
        if (count > limit - length)
            return false;
        if (length + count > output.Length)
            Array.Resize(ref output, (int)Math.Min(limit, Math.Max((long)output.Length * 2, length + count)));
        return true;
    }

    private string Limit() => $"LZMA data larger than {limit} bytes";

    /// <summary>Match lengths: 0-7 (low, per position state), 8-15 (mid), 16-271 (high), before adding 2.</summary>
    private sealed class LengthDecoder
    {
        private ushort choice;
        private ushort choice2;
        private readonly ushort[] low = new ushort[(1 << MaxPosBits) << 3];
        private readonly ushort[] mid = new ushort[(1 << MaxPosBits) << 3];
        private readonly ushort[] high = new ushort[1 << 8];

        public void Reset()
        {
            choice = choice2 = RangeDecoder.HalfProbability;
            Array.Fill(low, RangeDecoder.HalfProbability);
            Array.Fill(mid, RangeDecoder.HalfProbability);
            Array.Fill(high, RangeDecoder.HalfProbability);
        }

        public int Decode(ref RangeDecoder rc, int posState)
        {
            if (rc.Bit(ref choice) == 0)
                return rc.BitTree(low.AsSpan(posState << 3, 8), 3);
            if (rc.Bit(ref choice2) == 0)
                return 8 + rc.BitTree(mid.AsSpan(posState << 3, 8), 3);
            return 16 + rc.BitTree(high, 8);
        }
    }

    /// <summary>
    /// The range decoder: 11-bit probabilities adapted by 1/32 per bit. Reading past the input or a code that
    /// cannot occur sets <see cref="Corrupt"/> and yields zeros, so the caller stops at its next step.
    /// </summary>
    private ref struct RangeDecoder
    {
        public const ushort HalfProbability = 1 << 10;
        private const int ProbabilityBits = 11;
        private const int MoveBits = 5;
        private const uint TopValue = 1 << 24;

        private readonly ReadOnlySpan<byte> input;
        private int position;
        private uint range = uint.MaxValue;
        private uint code;

        public bool Corrupt { get; private set; }

        public RangeDecoder(ReadOnlySpan<byte> input)
        {
            this.input = input;
            Corrupt = NextByte() != 0;
            for (var i = 0; i < 4; i++)
                code = (code << 8) | NextByte();
            if (code == range)
                Corrupt = true;
        }

        /// <summary>The encoder flushed here: a stream may end without an end marker only when this holds.</summary>
        public readonly bool FinishedCleanly => code == 0;

        public int Bit(ref ushort probability)
        {
            var bound = (range >> ProbabilityBits) * probability;
            int bit;
            if (code < bound)
            {
                range = bound;
                probability += (ushort)(((1 << ProbabilityBits) - probability) >> MoveBits);
                bit = 0;
            }
            else
            {
                range -= bound;
                code -= bound;
                probability -= (ushort)(probability >> MoveBits);
                bit = 1;
            }
            Normalize();
            return bit;
        }

        public int BitTree(Span<ushort> probabilities, int bits)
        {
            var m = 1;
            for (var i = 0; i < bits; i++)
                m = (m << 1) + Bit(ref probabilities[m]);
            return m - (1 << bits);
        }

        public uint ReverseBitTree(Span<ushort> probabilities, int bits)
        {
            var m = 1;
            var symbol = 0u;
            for (var i = 0; i < bits; i++)
            {
                var bit = Bit(ref probabilities[m]);
                m = (m << 1) + bit;
                symbol |= (uint)bit << i;
            }
            return symbol;
        }

        public uint DirectBits(int count)
        {
            var result = 0u;
            for (var i = 0; i < count; i++)
            {
                range >>= 1;
                code -= range;
                var mask = 0u - (code >> 31);
                code += range & mask;
                if (code == range)
                    Corrupt = true;
                Normalize();
                result = (result << 1) + mask + 1;
            }
            return result;
        }

        private void Normalize()
        {
            if (range >= TopValue)
                return;
            range <<= 8;
            code = (code << 8) | NextByte();
        }

        private byte NextByte()
        {
            if (position < input.Length)
                return input[position++];
            Corrupt = true;
            return 0;
        }
    }
}
