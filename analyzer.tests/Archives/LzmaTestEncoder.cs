using DmarcAnalyzer.Archives;
namespace DmarcAnalyzer.Tests.Archives;

/// <summary>
/// Writes LZMA streams symbol by symbol, for sequences no real encoder writes (a repeated distance that reaches
/// before a dictionary reset). Properties lc=0 lp=0 pb=0 (byte 0): no literal context, one position state. The
/// probabilities, state and distance carry over between streams, as in the decoder; only matches of distance 0-3
/// and length 2 are written.
/// </summary>
internal sealed class LzmaTestEncoder
{
    private readonly ushort[] _isMatch = Fresh(12);
    private readonly ushort[] _isRep = Fresh(12);
    private readonly ushort[] _isRepG0 = Fresh(12);
    private readonly ushort[] _isRep0Long = Fresh(12);
    private readonly ushort[] _literals = Fresh(0x300);
    private readonly ushort[] _lengthLow = Fresh(8);
    private readonly ushort[] _posSlots = Fresh(64);
    private ushort _lengthChoice = 1024;
    private readonly List<byte> _history = [];
    private int _state;
    private int _rep0;

    private readonly List<byte> _stream = [];
    private ulong _low;
    private uint _range = uint.MaxValue;
    private byte _cache;
    private long _cacheSize = 1;

    private static ushort[] Fresh(int count) => Enumerable.Repeat((ushort)1024, count).ToArray();

    public LzmaTestEncoder Literal(byte value)
    {
        Bit(ref _isMatch[_state], 0);
        var symbol = 1;
        if (_state >= 7)
        {
            int matchByte = _history[_history.Count - _rep0 - 1];
            var same = true;
            for (var i = 7; i >= 0 && same; i--)
            {
                var matchBit = (matchByte >> i) & 1;
                var bit = (value >> i) & 1;
                Bit(ref _literals[((1 + matchBit) << 8) + symbol], bit);
                symbol = (symbol << 1) | bit;
                same = matchBit == bit;
            }
        }
        while (symbol < 0x100)
        {
            var bit = (value >> (7 - (BitLength(symbol) - 1))) & 1;
            Bit(ref _literals[symbol], bit);
            symbol = (symbol << 1) | bit;
        }
        _history.Add(value);
        _state = _state < 4 ? 0 : _state < 10 ? _state - 3 : _state - 6;
        return this;
    }

    /// <summary>A match of two bytes at <paramref name="distance"/> (0-3, slot = distance).</summary>
    public LzmaTestEncoder Match(int distance)
    {
        Bit(ref _isMatch[_state], 1);
        Bit(ref _isRep[_state], 0);
        Bit(ref _lengthChoice, 0);
        Tree(_lengthLow, 3, 0);
        Tree(_posSlots, 6, distance);
        _state = _state < 7 ? 7 : 10;
        _rep0 = distance;
        for (var i = 0; i < 2; i++)
            _history.Add(_history[_history.Count - distance - 1]);
        return this;
    }

    /// <summary>One byte at the last distance.</summary>
    public LzmaTestEncoder ShortRep()
    {
        Bit(ref _isMatch[_state], 1);
        Bit(ref _isRep[_state], 1);
        Bit(ref _isRepG0[_state], 0);
        Bit(ref _isRep0Long[_state], 0);
        _state = _state < 7 ? 9 : 11;
        _history.Add(_history[^(_rep0 + 1)]);
        return this;
    }

    /// <summary>Flushes the range coder and returns the stream so far; the model goes on for the next one.</summary>
    public byte[] Finish()
    {
        for (var i = 0; i < 5; i++)
            ShiftLow();
        var stream = _stream.ToArray();
        (_low, _range, _cache, _cacheSize) = (0, uint.MaxValue, 0, 1);
        _stream.Clear();
        return stream;
    }

    private static int BitLength(int value) => 32 - int.LeadingZeroCount(value);

    private void Tree(ushort[] probabilities, int bits, int value)
    {
        var m = 1;
        for (var i = bits - 1; i >= 0; i--)
        {
            var bit = (value >> i) & 1;
            Bit(ref probabilities[m], bit);
            m = (m << 1) | bit;
        }
    }

    private void Bit(ref ushort probability, int bit)
    {
        var bound = (_range >> 11) * probability;
        if (bit == 0)
        {
            _range = bound;
            probability += (ushort)((2048 - probability) >> 5);
        }
        else
        {
            _low += bound;
            _range -= bound;
            probability -= (ushort)(probability >> 5);
        }
        while (_range < 1u << 24)
        {
            _range <<= 8;
            ShiftLow();
        }
    }

    private void ShiftLow()
    {
        if ((uint)_low < 0xFF000000u || (_low >> 32) != 0)
        {
            var carry = (byte)(_low >> 32);
            var temp = _cache;
            do
            {
                _stream.Add((byte)(temp + carry));
                temp = 0xFF;
            }
            while (--_cacheSize != 0);
            _cache = (byte)((uint)_low >> 24);
        }
        _cacheSize++;
        _low = (uint)_low << 8;
    }
}
