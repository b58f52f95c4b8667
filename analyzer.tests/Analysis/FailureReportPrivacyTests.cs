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
    [InlineData("163.com; spf=pass smtp.mailfrom=bounces+1=163.com@email.entrata.com", "163.com; spf=pass smtp.mailfrom=b***@email.entrata.com")]
    [InlineData("\"john smith\"@example.com", "j***@example.com")]
    [InlineData("no address here", "no address here")]
    public void MasksLocalPartsAndDropsDisplayNames(string text, string expected) =>
        Assert.Equal(expected, FailureReportPrivacy.MaskAddresses(text));

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
        Assert.Null(FailureReportPrivacy.MaskSubject(null));
    }
}
