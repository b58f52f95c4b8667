namespace DmarcAnalyzer.Ingest;

/// <summary>
/// A file named for ingest, read before its turn: its bytes, or an mbox file left open to be read message by
/// message when its turn comes (never whole), or why it cannot be read.
/// </summary>
internal abstract record InputFile(string Path)
{
    public sealed record Whole(string Path, Storage.RawInput Raw) : InputFile(Path);

    /// <summary>Open at its start; whoever takes it disposes of the stream.</summary>
    public sealed record Mbox(string Path, FileStream Stream) : InputFile(Path);

    public sealed record Unreadable(string Path, string Reason) : InputFile(Path);

    public static async Task<InputFile> ReadAsync(string path, IngestLimits limits, CancellationToken ct)
    {
        FileStream? stream = null;
        try
        {
            if (FileProblem.IsPipe(path))
                return new Unreadable(path, "this is a named pipe, not a file: it is not read");
            // Unbuffered and synchronous (this runs on the read-ahead thread already): a report is read whole into an
            // array of its own, so a FileStream buffer would be a 64 KB allocation per file, and an asynchronous read
            // of a file on Linux is a synchronous one handed to another thread.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, useAsync: false);
            var head = new byte[5];
            var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            stream.Position = 0;
            if (head.AsSpan(0, read).SequenceEqual("From "u8))
            {
                // An mbox file is read line by line: buffered.
                await stream.DisposeAsync();
                stream = null;
                return new Mbox(path, new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true));
            }
            return new Whole(path, await BoundedRead.ReadAsync(stream, limits, ct));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone since the folder was listed, or not ours to read: a failure of this file, not of the run.
            return new Unreadable(path, CannotRead(e));
        }
        finally
        {
            if (stream is not null)
                await stream.DisposeAsync();
        }
    }

    public static string CannotRead(Exception e) => $"the file cannot be read: {FileProblem.Reason(e)}";
}
