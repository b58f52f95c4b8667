namespace DmarcAnalyzer.Ingest;

/// <summary>
/// The files of one ingest run, each read on the thread pool before its turn: the first as soon as the queue is
/// made (while the store opens), each next one while the one before is stored, but only after a whole file of at most
/// <see cref="ReadAheadAfterAtMost"/> or an unreadable one, so two large inputs are never held at once (an mbox file
/// is streamed message by message, each message up to the input cap). A file taken is no longer referenced here.
/// </summary>
internal sealed class InputQueue
{
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
        var pending = _next ?? ReadAsync(_files[_taken]);
        _next = null;
        var input = await pending;
        _taken++;
        if (_taken < _files.Count && input is InputFile.Whole { Raw.Bytes.Length: <= ReadAheadAfterAtMost } or InputFile.Unreadable)
            _next = ReadAsync(_files[_taken]);
        return input;
    }

    /// <summary>On the thread pool, so the caller goes on at once.</summary>
    private Task<InputFile> ReadAsync(string file) => Task.Run(() => InputFile.ReadAsync(file, _limits, _ct), _ct);
}
