namespace DmarcAnalyzer.Filter;

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
/// bounded depth. An encrypted file anywhere wins; otherwise the first limit hit or member or 7z header that could not
/// be read is the finding, so that an attacker cannot hide an encrypted file behind a bomb, a deep nest or an odd
/// compression method.
/// </summary>
internal sealed class EncryptedContentDetector(int maxDepth, int maxMembers, long maxInflatedBytes)
{
    /// <summary>
    /// Inspects one attachment; at most <c>maxInflatedBytes</c> are inflated for it in all. An unexpected failure
    /// (a bug, memory the runtime refused) makes the attachment not inspected: it must not let an archive through.
    /// </summary>
    public EncryptedFinding? Inspect(ReadOnlySpan<byte> content, string name)
    {
        var budget = maxInflatedBytes;
        EncryptedFinding? notInspected = null;
        try
        {
            return Inspect(content, name, 0, ref budget, ref notInspected) ?? notInspected;
        }
        catch (Exception e)
        {
            return new EncryptedFinding(name, $"inspection failed ({e.GetType().Name}: {e.Message})", NotInspected: true);
        }
    }

    private EncryptedFinding? Inspect(ReadOnlySpan<byte> content, string path, int depth, ref long budget, ref EncryptedFinding? notInspected)
    {
        if (EncryptedFormats.Detect(content, ref budget) is { } format)
        {
            if (!format.NotInspected)
                return new EncryptedFinding(path, format.Kind);
            notInspected ??= new EncryptedFinding(path, format.Kind, NotInspected: true);
            return null;
        }
        if (!ZipDirectory.LooksLikeZip(content))
            return null;
        if (depth > maxDepth)
        {
            notInspected ??= new EncryptedFinding(path, $"ZIP nested more than {maxDepth} deep", NotInspected: true);
            return null;
        }
        var listing = ZipDirectory.Read(content, maxMembers);
        foreach (var member in listing.Members)
        {
            if (member.Encrypted)
                return new EncryptedFinding($"{path}/{member.Name}", member.Aes ? "ZIP (AES)" : "ZIP (PKWARE)");
        }
        if (listing.Incomplete is { } why)
            notInspected ??= new EncryptedFinding(path, why, NotInspected: true);
        foreach (var member in listing.Members)
        {
            if (member.Name.EndsWith('/'))
                continue;
            var inner = ZipDirectory.Extract(content, member, budget, out var failure);
            if (inner is null)
            {
                notInspected ??= new EncryptedFinding($"{path}/{member.Name}", failure ?? "unreadable", NotInspected: true);
                continue;
            }
            budget -= inner.Length;
            if (Inspect(inner, $"{path}/{member.Name}", depth + 1, ref budget, ref notInspected) is { } finding)
                return finding;
        }
        return null;
    }
}
