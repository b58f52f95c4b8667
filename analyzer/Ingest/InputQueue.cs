namespace DmarcAnalyzer.Ingest;

/// <summary>
/// The files of one ingest run. The first is read on the thread pool as soon as the queue is made (while the store
/// opens); after a whole file of <see cref="ReadAheadAfterAtLeast"/> to <see cref="ReadAheadAfterAtMost"/> the next is
/// read there too while that one is stored, so two large inputs are never held at once (an mbox file is streamed
/// message by message, each message up to the input cap). After a smaller file (or an unreadable one) the next is read
/// when it is taken, on the caller's thread: a small file's read costs less than waking another thread for it and
/// handing its bytes back (bench/README.md, small reports). A file taken is no longer referenced here.
/// </summary>
internal sealed class InputQueue
{
    private const int ReadAheadAfterAtLeast = 256 << 10;
    private const int ReadAheadAfterAtMost = 16 << 20;

    private readonly IReadOnlyList<string> _files;
    private readonly IngestLimits _limits;
    private readonly CancellationToken _ct;
    private Task<InputFile>? _next;
    private int _taken;

    public InputQueue(IReadOnlyList<string> files, IngestLimits limits, CancellationToken ct)
    {
        (_files, _limits, _ct) = (files, limits, ct);
        if (files.Count > 0)
            _next = ReadAsync(files[0]);
    }

    public int Count => _files.Count;

    /// <summary>The next file; call it <see cref="Count"/> times.</summary>
    public async Task<InputFile> TakeAsync()
    {
        var pending = _next;
        _next = null;
        var input = pending is null ? await InputFile.ReadAsync(_files[_taken], _limits, _ct) : await pending;
        _taken++;
        if (_taken < _files.Count && input is InputFile.Whole { Raw.Bytes.Length: >= ReadAheadAfterAtLeast and <= ReadAheadAfterAtMost })
            _next = ReadAsync(_files[_taken]);
        return input;
    }

    /// <summary>On the thread pool, so the caller goes on at once.</summary>
    private Task<InputFile> ReadAsync(string file) => Task.Run(() => InputFile.ReadAsync(file, _limits, _ct), _ct);
}
