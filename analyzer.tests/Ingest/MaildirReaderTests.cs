using DmarcAnalyzer.Ingest;

namespace DmarcAnalyzer.Tests.Ingest;

public sealed class MaildirReaderTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("dmarc-maildir-");

    public void Dispose() => root.Delete(recursive: true);

    private void Write(string relative)
    {
        var path = Path.Combine(root.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "Subject: " + relative + "\n\nx\n");
    }

    [Fact]
    public void ListsNewAndCurOfTheMaildirAndItsSubfoldersButNotTmp()
    {
        foreach (var dir in new[] { "tmp", ".Archive/tmp", ".Archive/new", ".Archive/cur", "cur" })
            Directory.CreateDirectory(Path.Combine(root.FullName, dir));
        Write("new/1700000002.M1.host");
        Write("cur/1700000001.M1.host:2,S");
        Write("tmp/1700000003.M1.host");
        Write(".Archive/cur/1700000000.M1.host:2,");
        Write("new/.hidden");

        var files = MaildirReader.MessageFiles(root.FullName).Select(f => Path.GetRelativePath(root.FullName, f));
        Assert.Equal(["new/1700000002.M1.host", "cur/1700000001.M1.host:2,S", ".Archive/cur/1700000000.M1.host:2,"], files);
    }

    [Fact]
    public void RefusesAFolderThatIsNotAMaildir() =>
        Assert.Throws<DirectoryNotFoundException>(() => MaildirReader.MessageFiles(root.FullName));
}
