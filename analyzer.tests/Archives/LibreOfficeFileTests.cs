using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Tests.Filter;

namespace DmarcAnalyzer.Tests.Archives;

/// <summary>Real Word, Excel and PowerPoint files from LibreOffice (<see cref="LibreOfficeDocuments"/>), plain and with a password.</summary>
public sealed class LibreOfficeFileTests(LibreOfficeDocuments libreOffice) : IClassFixture<LibreOfficeDocuments>
{
    private static EncryptedContentDetector Detector => OfficeEncryptionTests.Detector;

    [Fact]
    public void Password_protected_files_written_by_LibreOffice_are_found()
    {
        Assert.Equal("Word 97-2003 (encrypted)", Detector.Inspect(libreOffice.Read("encrypted.doc"), "a.doc")?.Kind);
        Assert.Equal("Excel 97-2003 (RC4)", Detector.Inspect(libreOffice.Read("encrypted.xls"), "a.xls")?.Kind);
    }

    [Fact]
    public void Plain_files_written_by_LibreOffice_are_clean()
    {
        Assert.Null(Detector.Inspect(libreOffice.Read("plain.doc"), "a.doc"));
        Assert.Null(Detector.Inspect(libreOffice.Read("plain.xls"), "a.xls"));
        Assert.Null(Detector.Inspect(libreOffice.Read("plain.ppt"), "a.ppt"));
    }

    [Fact]
    public void An_encrypted_document_inside_a_zip_is_found()
    {
        var zip = TestMessages.PlainZip(("plain.xls", libreOffice.Read("plain.xls")), ("invoice.doc", libreOffice.Read("encrypted.doc")));
        Assert.Equal(new EncryptedFinding("mail.zip/invoice.doc", "Word 97-2003 (encrypted)"), Detector.Inspect(zip, "mail.zip"));
    }

    [Fact]
    public void Hostile_office_files_never_throw()
    {
        var files = new[]
        {
            libreOffice.Read("encrypted.doc"), libreOffice.Read("plain.xls"), libreOffice.Read("plain.ppt"),
            CompoundFileBuilder.Build(4, ("PowerPoint Document", new byte[5000]), ("Current User", OfficeEncryptionTests.CurrentUser(0xF3D1C4DF))),
        };
        var random = new Random(12);
        foreach (var file in files)
        {
            for (var length = 0; length <= file.Length; length += 1 + file.Length / 50)
                OfficeEncryption.Detect(file.AsSpan(0, length));
            for (var round = 0; round < 200; round++)
            {
                var scrambled = (byte[])file.Clone();
                for (var i = 0; i < 8; i++)
                    scrambled[random.Next(8, scrambled.Length)] = (byte)random.Next(256);
                OfficeEncryption.Detect(scrambled);
            }
        }
    }
}
