namespace DmarcAnalyzer.Ingest;

/// <summary>
/// The message files of a Maildir (one file per message in <c>new/</c> and <c>cur/</c>; <c>tmp/</c> holds
/// deliveries in progress and is skipped), including Maildir++ subfolders (<c>.Name/</c>), in a stable order.
/// </summary>
internal static class MaildirReader
{
    public static bool IsMaildir(string path) =>
        Directory.Exists(Path.Combine(path, "cur")) && Directory.Exists(Path.Combine(path, "new"));

    public static IReadOnlyList<string> MessageFiles(string maildir)
    {
        if (!IsMaildir(maildir))
            throw new DirectoryNotFoundException($"not a Maildir (no cur/ and new/): {maildir}");
        var files = new List<string>();
        Collect(maildir, files);
        foreach (var folder in Directory.EnumerateDirectories(maildir, ".*").Order(StringComparer.Ordinal))
            if (IsMaildir(folder))
                Collect(folder, files);
        return files;
    }

    private static void Collect(string maildir, List<string> files)
    {
        foreach (var sub in new[] { "new", "cur" })
            files.AddRange(Directory.EnumerateFiles(Path.Combine(maildir, sub))
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .Order(StringComparer.Ordinal));
    }
}
