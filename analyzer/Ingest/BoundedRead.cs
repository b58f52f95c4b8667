using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Ingest;

/// <summary>Reads one input for ingest, bounded by <see cref="IngestLimits.MaxInputBytes"/>.</summary>
internal static class BoundedRead
{
    /// <summary>
    /// Reads up to <see cref="IngestLimits.MaxInputBytes"/>; past that, keeps only a prefix for the failure
    /// record and drains the rest to learn its size, without holding it.
    /// </summary>
    public static async Task<RawInput> ReadAsync(Stream input, IngestLimits limits, CancellationToken ct)
    {
        if (input.CanSeek && input.Length - input.Position > limits.MaxInputBytes)
        {
            var size = input.Length - input.Position;
            var prefix = new byte[limits.MaxStoredFailureBytes];
            var read = await input.ReadAtLeastAsync(prefix, prefix.Length, throwOnEndOfStream: false, ct);
            return new RawInput(prefix.AsMemory(0, read), size);
        }
        byte[] chunk;
        MemoryStream buffer;
        long total = 0;
        if (input.CanSeek)
        {
            // A file's length is known: read it straight into one buffer of that size. Synchronously: a seekable input
            // is a file or memory, and an asynchronous read of a file on Linux is a synchronous one handed to the
            // thread pool, a hand-off that costs a small report more than its read (bench/README.md).
            ct.ThrowIfCancellationRequested();
            var expected = PrefaultedArray.Allocate((int)(input.Length - input.Position));
            var read = input.ReadAtLeast(expected, expected.Length, throwOnEndOfStream: false);
            // Fewer bytes than its length: the file shrank while it was read, and its end is reached.
            if (read < expected.Length)
                return new RawInput(expected.AsMemory(0, read), read);
            // Asked again (a system call, cheaper than a read past the end for each of many small files); a length
            // of 0 is also read past, as /proc's files give no true length.
            if (read > 0 && input.Position >= input.Length)
                return new RawInput(expected, read);
            chunk = new byte[81920];
            var more = input.Read(chunk);
            if (more == 0)
                return new RawInput(expected, read);
            // More than its length: the file grew while it was read, or gave no true length.
            buffer = new MemoryStream(read + more);
            buffer.Write(expected, 0, read);
            total = read;
            Keep(more);
        }
        else
        {
            chunk = new byte[81920];
            buffer = new MemoryStream();
        }
        // A file that gave no length (a device, /proc) may never end: read no further than the cap, and its size is
        // then what was read. Any other input is drained past the cap to learn its size, without holding it.
        var endless = input.CanSeek && input.Length == 0;
        int n;
        while ((!endless || total <= limits.MaxInputBytes) && (n = await input.ReadAsync(chunk, ct)) > 0)
            Keep(n);
        var kept = total > limits.MaxInputBytes ? Math.Min(buffer.Length, limits.MaxStoredFailureBytes) : buffer.Length;
        return new RawInput(buffer.GetBuffer().AsMemory(0, (int)kept), total);

        void Keep(int count)
        {
            total += count;
            if (total <= limits.MaxInputBytes)
                buffer.Write(chunk, 0, count);
        }
    }
}
