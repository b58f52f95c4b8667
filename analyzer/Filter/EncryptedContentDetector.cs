namespace DmarcAnalyzer.Filter;

/// <summary>An encrypted file found in a message: where (outer/inner names) and what kind.</summary>
internal sealed record EncryptedFinding(string Path, string Kind);

/// <summary>
/// Looks into an attachment for encrypted content: encrypted ZIP members (traditional PKWARE or WinZip AES),
/// encrypted 7z, RAR, PDF and Office files, and the same inside ZIPs nested up to a bounded depth.
/// </summary>
internal sealed class EncryptedContentDetector(int maxDepth, int maxMembers, long maxInflatedBytes)
{
    /// <summary>Inspects one attachment; at most <c>maxInflatedBytes</c> are inflated for it in all.</summary>
    public EncryptedFinding? Inspect(ReadOnlySpan<byte> content, string name)
    {
        var budget = maxInflatedBytes;
        return Inspect(content, name, 0, ref budget);
    }

    private EncryptedFinding? Inspect(ReadOnlySpan<byte> content, string path, int depth, ref long budget)
    {
        if (EncryptedFormats.Detect(content) is { } kind)
            return new EncryptedFinding(path, kind);
        if (!ZipDirectory.LooksLikeZip(content))
            return null;
        var members = ZipDirectory.Read(content, maxMembers);
        foreach (var member in members)
        {
            if (member.Encrypted)
                return new EncryptedFinding($"{path}/{member.Name}", member.Aes ? "ZIP (AES)" : "ZIP (PKWARE)");
        }
        if (depth >= maxDepth)
            return null;
        foreach (var member in members)
        {
            if (member.Name.EndsWith('/'))
                continue;
            var inner = ZipDirectory.Extract(content, member, budget);
            if (inner is null)
                continue;
            budget -= inner.Length;
            if (Inspect(inner, $"{path}/{member.Name}", depth + 1, ref budget) is { } finding)
                return finding;
        }
        return null;
    }
}
