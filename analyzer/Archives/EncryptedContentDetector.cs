namespace DmarcAnalyzer.Archives;

/// <summary>
/// What the archive rule found in an attachment: an encrypted file (where, and its <paramref name="Kind"/>), or, when
/// <paramref name="NotInspected"/>, a part of an archive that could not be looked into (where, and in
/// <paramref name="Kind"/> why). The rule treats both alike: what cannot be inspected is not taken as clean.
/// </summary>
internal sealed record EncryptedFinding(string Path, string Kind, bool NotInspected = false)
{
    public string Reason => NotInspected
        ? $"archive could not be fully inspected: {Kind}: {Path}"
        : $"encrypted attachment: {Path} ({Kind})";

    /// <summary>The value of the tag header.</summary>
    public string Tag => NotInspected ? $"not fully inspected ({Kind}); {Path}" : $"{Kind}; {Path}";
}

/// <summary>
/// Looks into an attachment for encrypted content: encrypted ZIP members (traditional PKWARE or WinZip AES),
/// encrypted 7z (its compressed header decoded), RAR, PDF and Office files, and the same inside ZIPs nested up to a
/// bounded depth. Each format is looked for where the common tools find it, not only at byte 0, and a file may be
/// several at once (a PDF with a ZIP after it). An encrypted file anywhere wins; otherwise the first limit hit or
/// structure that could not be read is the finding, so that an attacker cannot hide an encrypted file behind a bomb,
/// a deep nest, an odd compression method or a damaged directory.
/// </summary>
internal sealed class EncryptedContentDetector(int maxDepth, int maxMembers)
{
    /// <summary>
    /// Inspects one attachment, spending from the message's <paramref name="budget"/>. An unexpected failure (a bug,
    /// memory the runtime refused) makes the attachment not inspected: it must not let an archive through. Cancellation
    /// (the MTA gone, the time limit past) is left to the caller.
    /// </summary>
    public EncryptedFinding? Inspect(ReadOnlySpan<byte> content, string name, InspectionBudget budget)
    {
        EncryptedFinding? notInspected = null;
        try
        {
            return Inspect(content, name, 0, budget, ref notInspected) ?? notInspected;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new EncryptedFinding(name, $"inspection failed ({e.GetType().Name}: {e.Message})", NotInspected: true);
        }
    }

    /// <summary>
    /// The ZIP first, so that a file stored in it is named by its path; then the other formats anywhere in the bytes,
    /// which also finds an archive the ZIP reader does not show (one appended to a PDF, a 7z after a self-extractor).
    /// </summary>
    private EncryptedFinding? Inspect(ReadOnlySpan<byte> content, string path, int depth, InspectionBudget budget, ref EncryptedFinding? notInspected)
    {
        budget.ThrowIfCancelled();
        if (InspectZip(content, path, depth, budget, ref notInspected) is { } inZip)
            return inZip;
        if (EncryptedFormats.Detect(content, budget) is { } format)
        {
            if (!format.NotInspected)
                return new EncryptedFinding(path, format.Kind);
            notInspected ??= new EncryptedFinding(path, format.Kind, NotInspected: true);
        }
        return null;
    }

    private EncryptedFinding? InspectZip(ReadOnlySpan<byte> content, string path, int depth, InspectionBudget budget, ref EncryptedFinding? notInspected)
    {
        if (ZipDirectory.Read(content, maxMembers, budget.Cancellation) is not { } listing)
            return null;
        if (depth > maxDepth)
        {
            notInspected ??= new EncryptedFinding(path, $"ZIP nested more than {maxDepth} deep", NotInspected: true);
            return null;
        }
        foreach (var member in listing.Members)
        {
            if (member.Encrypted)
                return new EncryptedFinding($"{path}/{member.Name}", member.Aes ? "ZIP (AES)" : "ZIP (PKWARE)");
        }
        if (listing.Incomplete is { } why)
            notInspected ??= new EncryptedFinding(path, why, NotInspected: true);
        foreach (var member in listing.Members)
        {
            var inner = ZipDirectory.Extract(content, member, budget, out var failure);
            if (inner is null)
            {
                notInspected ??= new EncryptedFinding($"{path}/{member.Name}", failure ?? "unreadable", NotInspected: true);
                continue;
            }
            if (Inspect(inner, $"{path}/{member.Name}", depth + 1, budget, ref notInspected) is { } finding)
                return finding;
        }
        return null;
    }
}
