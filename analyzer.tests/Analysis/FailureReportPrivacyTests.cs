using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Tests.Analysis;

public class FailureReportPrivacyTests
{
    [Theory]
    [InlineData("john@example.com", "j***@example.com")]
    [InlineData("<john@example.com>", "j***@example.com")]
    [InlineData("\"Rolf Bader\" <info@interpublication.org>", "i***@interpublication.org")]
    [InlineData("A <a@x.example>, B <bob@y.example>", "a***@x.example, b***@y.example")]
    [InlineData("bounces+1137616-c1ad-xsj399=163.com@email.entrata.com", "b***@email.entrata.com")]
    [InlineData("\"john smith\"@example.com", "j***@example.com")]
    [InlineData("Group: \"John Smith\" <john.smith@example.com>;", "j***@example.com")]
    [InlineData("Team: a@x.example, \"Bob B\" <bob@y.example>;, Carol (home) <carol@z.example>", "a***@x.example, b***@y.example, c***@z.example")]
    [InlineData("John Smith", "")]
    [InlineData("undisclosed-recipients:;", "")]
    [InlineData("\"John Smith\" <john@example.com", "j***@example.com")]
    public void AnAddressFieldShowsItsAddressesAloneMasked(string field, string expected) =>
        Assert.Equal(expected, FailureReportPrivacy.MaskAddressField(field));

    [Theory]
    [InlineData("163.com; spf=pass smtp.mailfrom=bounces+1=163.com@email.entrata.com", "163.com; spf=pass smtp.mailfrom=b***@email.entrata.com")]
    [InlineData("no address here", "no address here")]
    public void FreeTextKeepsItsWordsWithTheAddressesMasked(string text, string expected) =>
        Assert.Equal(expected, FailureReportPrivacy.MaskAddresses(text));

    [Fact]
    public void AMessageIdKeepsItsHostAndMasksItsLeftPart() =>
        Assert.Equal("<j***@mail.example.com>", FailureReportPrivacy.MaskMessageId("<john.smith.1234@mail.example.com>"));

    [Theory]
    [InlineData("You have a new bill from your bank", "You …")]
    [InlineData("Rent", "Rent")]
    [InlineData("  Rent Reminder", "Rent …")]
    public void ShowsASubjectsFirstWordOnly(string subject, string expected) =>
        Assert.Equal(expected, FailureReportPrivacy.MaskSubject(subject));

    [Fact]
    public void NothingStaysNothing()
    {
        Assert.Null(FailureReportPrivacy.MaskAddresses(null));
        Assert.Null(FailureReportPrivacy.MaskAddressField(null));
        Assert.Null(FailureReportPrivacy.MaskSubject(null));
    }
}
