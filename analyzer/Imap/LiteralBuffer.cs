namespace DmarcAnalyzer.Imap;

/// <summary>
/// The bytes of one literal, written as they arrive: in memory up to <see cref="InMemoryBytes"/>, then in a
/// private temporary file deleted on dispose, so a 50 MB message never sits in memory.
/// </summary>
internal sealed class LiteralBuffer : IDisposable
{
    public const int InMemoryBytes = 1024 * 1024;

    private MemoryStream? memory = new();
    private FileStream? file;

    public long Length { get; private set; }

    public static LiteralBuffer FromBytes(byte[] bytes)
    {
        var buffer = new LiteralBuffer();
        if (bytes.Length > InMemoryBytes)
            throw new ArgumentException("too large for an in-memory literal", nameof(bytes));
        buffer.memory!.Write(bytes);
        buffer.Length = bytes.Length;
        return buffer;
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        if (memory is not null && memory.Length + bytes.Length > InMemoryBytes)
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
            };
            // Report mail is private: the temporary file is readable by us alone.
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            file = new FileStream(Path.Combine(Path.GetTempPath(), "dmarc-imap-" + Path.GetRandomFileName()), options);
            memory.Position = 0;
            await memory.CopyToAsync(file, ct);
            memory = null;
        }
        if (memory is not null)
            memory.Write(bytes.Span);
        else
            await file!.WriteAsync(bytes, ct);
        Length += bytes.Length;
    }

    /// <summary>A read-only view from the start. The buffer owns the bytes: read it before disposing the buffer.</summary>
    public Stream OpenRead()
    {
        if (memory is not null)
            return new MemoryStream(memory.GetBuffer(), 0, (int)memory.Length, writable: false);
        file!.Flush();
        return new FileWindow(file);
    }

    public byte[] ToArray()
    {
        using var read = OpenRead();
        var bytes = new byte[Length];
        read.ReadExactly(bytes);
        return bytes;
    }

    public void Dispose()
    {
        memory = null;
        file?.Dispose();
        file = null;
    }

    /// <summary>Reads the temporary file from its start without taking ownership of it.</summary>
    private sealed class FileWindow(FileStream file) : Stream
    {
        private long position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => file.Length;
        public override long Position { get => position; set => position = Math.Clamp(value, 0, Length); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            file.Position = position;
            var n = file.Read(buffer);
            position += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            file.Position = position;
            var n = await file.ReadAsync(buffer, ct);
            position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            _ => Length + offset,
        };

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
