namespace DmarcAnalyzer.Ingest;

/// <summary>The inputs of one run: the files to read, and folders under those named that cannot be listed.</summary>
internal sealed record InputSet(IReadOnlyList<string> Files, IReadOnlyList<InputFile.Unreadable> Unreadable)
{
    /// <summary>
    /// Files named, and every file under folders named, in a stable order. A Maildir (mail exported from
    /// elsewhere) contributes the messages in its <c>new/</c> and <c>cur/</c>, never the deliveries in progress in <c>tmp/</c>.
    /// A folder is walked once however many symbolic links lead to it (a link to a folder above is no endless walk);
    /// one that cannot be listed (gone meanwhile, not ours to read, a link loop) is an unreadable input, not the end of the run.
    /// </summary>
    /// <exception cref="FileNotFoundException">A path named is neither a file nor a folder.</exception>
    public static InputSet Expand(IEnumerable<string> paths)
    {
        var files = new List<string>();
        var unreadable = new List<InputFile.Unreadable>();
        var walked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (File.Exists(path))
                files.Add(path);
            else if (Directory.Exists(path))
                AddFolder(path, files, unreadable, walked);
            else
                throw new FileNotFoundException($"no such file or folder: {path}", path);
        }
        return new InputSet(files, unreadable);
    }

    private static void AddFolder(string folder, List<string> files, List<InputFile.Unreadable> unreadable, HashSet<string> walked)
    {
        try
        {
            if (!walked.Add(Directory.ResolveLinkTarget(folder, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(folder)))
                return;
            if (MaildirReader.IsMaildir(folder))
            {
                files.AddRange(MaildirReader.MessageFiles(folder));
                return;
            }
            files.AddRange(Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal));
            foreach (var sub in Directory.EnumerateDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToList())
                AddFolder(sub, files, unreadable, walked);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            unreadable.Add(new InputFile.Unreadable(folder, $"the folder cannot be read: {FileProblem.Reason(e)}"));
        }
    }
}
