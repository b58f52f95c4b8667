namespace DmarcAnalyzer.Archives;

/// <summary>
/// One message's allowance for the archive rule, shared by all its attachments: the bytes that may still be inflated
/// or decoded (ZIP members, 7z headers), and the token that ends the checks when the MTA aborts or disconnects or
/// the filter's content time limit passes. Every decoding loop spends from it or asks it before going on,
/// so a message of many small, costly attachments costs no more than one large one.
/// </summary>
internal sealed class InspectionBudget(long bytes, CancellationToken cancellation)
{
    public long Remaining { get; private set; } = bytes;

    public CancellationToken Cancellation => cancellation;

    /// <summary>Takes <paramref name="count"/> bytes from what is left; false, taking nothing, when fewer are left.</summary>
    public bool TrySpend(long count)
    {
        cancellation.ThrowIfCancellationRequested();
        if (count < 0 || count > Remaining)
            return false;
        Remaining -= count;
        return true;
    }

    public void ThrowIfCancelled() => cancellation.ThrowIfCancellationRequested();
}
