using System.Buffers;
using System.Text;

namespace DmarcAnalyzer.Milter;

/// <summary>
/// The message as the MTA hands it over: header fields, then the body. Kept in memory up to a threshold and in
/// a temporary file (deleted on close) beyond it; anything past the size caps is dropped and marked truncated, so
/// what one message holds is bounded by <see cref="MilterOptions.MaxHeaderBytes"/> (twice: the fields as text and
/// kept past the cap) and <see cref="MilterOptions.SpoolMemoryBytes"/>.
/// </summary>
/// <param name="keepContent">False when no rule will read the content: only the header fields are recorded.</param>
internal sealed class MessageSpool(MilterOptions limits, bool keepContent) : IAsyncDisposable
{
    /// <summary>
    /// Authentication-Results and From fields kept past the header cap, at most: forged results must still be
    /// removed (by their index among the fields of their name, RFC 8601 §5) and DMARC must see every author.
    /// </summary>
    public const int MaxFieldsPastCap = 100;

    private readonly long _memoryBytes = keepContent ? limits.SpoolMemoryBytes : 0;
    private readonly long _maxBytes = keepContent ? limits.MaxMessageBytes : 0;
    private readonly List<(string Name, string Value)> _headers = [];
    private int _keptPastCap;
    private long _headerBytes;
    private long _pastCapBytes;
    private readonly MemoryStream _memory = new();
    private FileStream? _file;
    private bool _headersEnded;

    /// <summary>Header fields in arrival order; values as Latin-1 so that 8-bit bytes survive unchanged.</summary>
    public IReadOnlyList<(string Name, string Value)> Headers => _headers;

    private long Length => (_file ?? (Stream)_memory).Length;

    public bool Truncated { get; private set; }

    /// <summary>Header fields the MTA sent, kept or not.</summary>
    public int FieldCount { get; private set; }

    /// <summary>
    /// More than <see cref="MaxFieldsPastCap"/> Authentication-Results or From fields came past the header cap, and
    /// those not kept can be neither removed nor checked.
    /// </summary>
    public bool FieldsLost { get; private set; }

    /// <summary>
    /// What this message keeps in memory: the header fields as text (two bytes a char) and the in-memory spool.
    /// A spool file is on disk and not counted.
    /// </summary>
    public long HeldBytes
    {
        get
        {
            long chars = 0;
            foreach (var (name, value) in _headers)
                chars += name.Length + value.Length;
            return chars * sizeof(char) + _memory.Capacity;
        }
    }

    /// <summary>
    /// Adds a header field. <paramref name="leadingSpaceKept"/> says whether the MTA sent the value with its
    /// leading white space (SMFIP_HDR_LEADSPC); without it one space is put back after the colon. Past
    /// <see cref="MilterOptions.MaxHeaders"/> fields or <see cref="MilterOptions.MaxHeaderBytes"/> bytes the field
    /// goes to <see cref="AddHeaderPastCap"/>.
    /// </summary>
    public ValueTask AddHeaderAsync(string name, string value, bool leadingSpaceKept, CancellationToken ct)
    {
        // Latin-1: one char per byte the MTA sent; the colon and CRLF are counted as the spool writes them.
        var size = name.Length + value.Length + 3L;
        if (FieldCount >= limits.MaxHeaders || _headerBytes + size > limits.MaxHeaderBytes)
        {
            AddHeaderPastCap(name, value, size);
            return ValueTask.CompletedTask;
        }
        _headerBytes += size;
        FieldCount++;
        _headers.Add((name, value));
        // Only CR, LF and CRLF are line ends here: the value holds raw bytes as Latin-1, and ReplaceLineEndings would also
        // break U+0085, which is the second byte of UTF-8 letters such as Å, and so every DKIM signature over them.
        var line = name + ":" + (leadingSpaceKept ? "" : " ") + value.Replace("\r\n", "\n").Replace('\r', '\n').Replace("\n", "\r\n") + "\r\n";
        return WriteAsync(Encoding.Latin1.GetBytes(line), ct);
    }

    /// <summary>
    /// A header field past the header cap: the message is truncated, but an Authentication-Results or From field is
    /// still kept in <see cref="Headers"/> (so that the indexes of those names stay right), up to
    /// <see cref="MaxFieldsPastCap"/> of them and <see cref="MilterOptions.MaxHeaderBytes"/> in all.
    /// </summary>
    private void AddHeaderPastCap(string name, string value, long size)
    {
        FieldCount++;
        Truncated = true;
        if (!name.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase) && !name.Equals("From", StringComparison.OrdinalIgnoreCase))
            return;
        if (_keptPastCap == MaxFieldsPastCap || _pastCapBytes + size > limits.MaxHeaderBytes)
        {
            FieldsLost = true;
            return;
        }
        _keptPastCap++;
        _pastCapBytes += size;
        _headers.Add((name, value));
    }

    public ValueTask EndHeadersAsync(CancellationToken ct)
    {
        if (_headersEnded)
            return ValueTask.CompletedTask;
        _headersEnded = true;
        return WriteAsync("\r\n"u8.ToArray(), ct);
    }

    public async ValueTask AppendBodyAsync(ReadOnlySequence<byte> chunk, CancellationToken ct)
    {
        await EndHeadersAsync(ct);
        foreach (var segment in chunk)
            await WriteAsync(segment, ct);
    }

    /// <summary>The whole message (header block, blank line, body) from its start; the spool keeps ownership.</summary>
    public Stream OpenRead()
    {
        var stream = _file ?? (Stream)_memory;
        stream.Flush();
        stream.Position = 0;
        return new ReadOnlyWindow(stream);
    }

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        if (Truncated)
            return;
        if (Length + bytes.Length > _maxBytes)
        {
            Truncated = true;
            return;
        }
        if (_file is null && _memory.Length + bytes.Length > _memoryBytes)
        {
            var directory = limits.SpoolDirectory ?? Path.GetTempPath();
            _file = new FileStream(Path.Combine(directory, $"dmarc-milter-{Guid.NewGuid():N}.eml"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
                81920, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
            _memory.Position = 0;
            await _memory.CopyToAsync(_file, ct);
            _memory.SetLength(0);
            _memory.Capacity = 0;
        }
        if (_file is not null)
            await _file.WriteAsync(bytes, ct);
        else
            _memory.Write(bytes.Span);
    }

    public async ValueTask DisposeAsync()
    {
        await _memory.DisposeAsync();
        if (_file is not null)
            await _file.DisposeAsync();
    }

    /// <summary>A read-only view that leaves the spool's stream open when the reader disposes it.</summary>
    private sealed class ReadOnlyWindow(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(buffer, ct);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => inner.ReadAsync(buffer, offset, count, ct);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
