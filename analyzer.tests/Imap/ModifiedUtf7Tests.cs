using DmarcAnalyzer.Imap;

namespace DmarcAnalyzer.Tests.Imap;

public class ModifiedUtf7Tests
{
    [Theory]
    [InlineData("INBOX", "INBOX")]
    [InlineData("Tom & Jerry", "Tom &- Jerry")]
    [InlineData("Entwürfe", "Entw&APw-rfe")]
    [InlineData("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-")] // RFC 3501 §5.1.3
    [InlineData("DMARC/Rapports reçus", "DMARC/Rapports re&AOc-us")]
    [InlineData("📬", "&2D3c7A-")]
    public void EncodesAndDecodes(string name, string wire)
    {
        Assert.Equal(wire, ModifiedUtf7.Encode(name));
        Assert.Equal(name, ModifiedUtf7.Decode(wire));
    }

    [Theory]
    [InlineData("&U,BTFw")]
    [InlineData("&!!!-")]
    [InlineData("&AA-")]
    [InlineData("tab\there")]
    public void RefusesMalformedNames(string wire) => Assert.Throws<FormatException>(() => ModifiedUtf7.Decode(wire));
}
