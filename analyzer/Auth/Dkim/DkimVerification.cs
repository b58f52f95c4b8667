namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>A signature waiting for the body: where its result goes, its field, and its body hasher.</summary>
internal sealed record PendingSignature(int Slot, RawHeaderField Field, DkimSignature Signature, DkimBodyHasher Body);

/// <summary>
/// One message's DKIM verification in progress (from <see cref="DkimVerifier.Begin"/>): push the body with
/// <see cref="AppendBody"/>, in any chunking, then <see cref="CompleteAsync"/> once. Only the hashers' state is kept.
/// </summary>
internal sealed class DkimVerification : IDisposable
{
    private readonly DkimVerifier _verifier;
    private readonly IReadOnlyList<RawHeaderField> _fields;
    private readonly DkimResult?[] _results;
    private readonly List<PendingSignature> _pending;
    private bool _completed;

    internal DkimVerification(DkimVerifier verifier, IReadOnlyList<RawHeaderField> fields, DkimResult?[] results, List<PendingSignature> pending)
    {
        _verifier = verifier;
        _fields = fields;
        _results = results;
        _pending = pending;
    }

    /// <summary>False when no signature needs the body (none, or all already decided): the body can be skipped.</summary>
    public bool NeedsBody => _pending.Count > 0;

    /// <summary>The next piece of the body, as sent: everything after the empty line that ends the header.</summary>
    public void AppendBody(ReadOnlySpan<byte> chunk)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        foreach (var p in _pending)
            p.Body.Append(chunk);
    }

    /// <summary>One result per DKIM-Signature field, top to bottom; keys are fetched here.</summary>
    public async Task<IReadOnlyList<DkimResult>> CompleteAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _completed = true;
        try
        {
            foreach (var p in _pending)
                _results[p.Slot] = await _verifier.VerifyOneAsync(p, _fields, ct);
        }
        finally
        {
            DisposeHashers();
        }
        return _results.Select(r => r!).ToList();
    }

    public void Dispose()
    {
        _completed = true;
        DisposeHashers();
    }

    private void DisposeHashers()
    {
        foreach (var p in _pending)
            p.Body.Dispose();
    }
}
