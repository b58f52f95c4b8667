using System.Buffers;
using System.Security.Cryptography;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>
/// Canonicalises a message body as it streams past (RFC 6376 §3.4.3, §3.4.4) and hashes the first
/// <c>l=</c> bytes of the result. Only a few bytes of state are kept, never the body.
/// Bare LF is taken as a line end, as mail stored on Unix systems has it.
/// </summary>
internal sealed class DkimBodyHasher : IDisposable
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    // Bytes that change the canonicaliser's state; runs of anything else are hashed as they are.
    private static readonly SearchValues<byte> SimpleSpecial = SearchValues.Create("\r\n"u8);
    private static readonly SearchValues<byte> RelaxedSpecial = SearchValues.Create("\r\n \t"u8);

    private readonly IncrementalHash _hash;
    private readonly bool _relaxed;
    private readonly long? _limit;
    private readonly byte[] _buffer = new byte[4096];
    private int _buffered;
    private long _hashed;
    private long _length;
    private bool _lineHasContent;
    private long _pendingEmptyLines;
    private bool _pendingSpace;
    private bool _pendingCr;

    /// <param name="hash">SHA-256; SHA-1 only to tell what an rsa-sha1 signature, refused anyway, would have said.</param>
    public DkimBodyHasher(DkimCanonicalization canonicalization, long? limit, HashAlgorithmName? hash = null)
    {
        _hash = IncrementalHash.CreateHash(hash ?? HashAlgorithmName.SHA256);
        _relaxed = canonicalization == DkimCanonicalization.Relaxed;
        _limit = limit;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        var special = _relaxed ? RelaxedSpecial : SimpleSpecial;
        while (!data.IsEmpty)
        {
            var run = _pendingCr ? 0 : data.IndexOfAny(special);
            if (run == 0)
            {
                Take(data[0]);
                data = data[1..];
                continue;
            }
            var ordinary = run < 0 ? data : data[..run];
            Content(ordinary[0]);
            Emit(ordinary[1..]);
            data = data[ordinary.Length..];
        }
    }

    /// <summary>The body hash and the length of the whole canonical body (which may exceed <c>l=</c>).</summary>
    public (byte[] Hash, long CanonicalLength) Complete()
    {
        if (_pendingCr)
        {
            _pendingCr = false;
            Content(Cr);
        }
        if (_lineHasContent)
            EmitCrlf();
        // §3.4.3: an empty body is one CRLF under simple; §3.4.4: it stays empty under relaxed.
        if (_length == 0 && !_relaxed)
            EmitCrlf();
        Flush();
        return (_hash.GetHashAndReset(), _length);
    }

    private void Take(byte b)
    {
        if (_pendingCr)
        {
            _pendingCr = false;
            if (b == Lf)
            {
                EndLine();
                return;
            }
            Content(Cr);
        }
        switch (b)
        {
            case Cr:
                _pendingCr = true;
                return;
            case Lf:
                EndLine();
                return;
            case (byte)' ' or (byte)'\t' when _relaxed:
                _pendingSpace = true;
                return;
            default:
                Content(b);
                return;
        }
    }

    private void Content(byte b)
    {
        if (!_lineHasContent)
        {
            // Empty lines only count once something follows them: trailing ones are dropped.
            for (; _pendingEmptyLines > 0; _pendingEmptyLines--)
                EmitCrlf();
            _lineHasContent = true;
        }
        if (_pendingSpace)
        {
            Emit((byte)' ');
            _pendingSpace = false;
        }
        Emit(b);
    }

    private void EndLine()
    {
        _pendingSpace = false;
        if (_lineHasContent)
        {
            EmitCrlf();
            _lineHasContent = false;
        }
        else
        {
            _pendingEmptyLines++;
        }
    }

    private void EmitCrlf()
    {
        Emit(Cr);
        Emit(Lf);
    }

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        _length += bytes.Length;
        if (_limit is { } limit)
            bytes = bytes[..(int)Math.Min(bytes.Length, Math.Max(0, limit - _hashed))];
        _hashed += bytes.Length;
        if (bytes.Length > _buffer.Length - _buffered)
        {
            Flush();
            _hash.AppendData(bytes);
            return;
        }
        bytes.CopyTo(_buffer.AsSpan(_buffered));
        _buffered += bytes.Length;
        if (_buffered == _buffer.Length)
            Flush();
    }

    private void Emit(byte b)
    {
        _length++;
        if (_limit is { } limit && _hashed >= limit)
            return;
        _hashed++;
        _buffer[_buffered++] = b;
        if (_buffered == _buffer.Length)
            Flush();
    }

    private void Flush()
    {
        _hash.AppendData(_buffer, 0, _buffered);
        _buffered = 0;
    }

    public void Dispose() => _hash.Dispose();
}
