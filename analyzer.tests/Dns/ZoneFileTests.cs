using System.Net;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Tests.Dns;

public sealed class ZoneFileTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void ReadsTheMasterFileSyntaxOfRfc1035()
    {
        const string text = """
            $ORIGIN example.com.
            $TTL 1h
            @       IN  SOA ns.example.com. hostmaster.example.com. (
                            2026112201 ; serial
                            3600 600 86400 300 )
                    IN  TXT "v=spf1 mx -all"     ; the owner is still @
                    MX  10 mail
            mail    300 IN A 192.0.2.25
            mail    IN  300 AAAA 2001:db8::25
            www     CNAME mail
            partner.example.net.  TXT  ( "v=spf1 " "ip4:198.51.100.0/24 "
                                         "-all" )
            esc     TXT "quote\" semi\; \065\066C" unquoted\032word
            25.2.0.192.in-addr.arpa. PTR mail
            $ORIGIN sub
            deep    2d TXT "in sub"
            """;

        var records = ZoneFile.Parse(text);

        Assert.Equal(9, records.Count); // the SOA is read and skipped
        Assert.Contains(new DnsRecord("example.com", DnsType.Txt, 3600, "v=spf1 mx -all"), records);
        Assert.Contains(new DnsRecord("example.com", DnsType.Mx, 3600, "mail.example.com", Preference: 10), records);
        Assert.Contains(DnsRecord.Of("mail.example.com", 300, IPAddress.Parse("192.0.2.25")), records);
        Assert.Contains(DnsRecord.Of("mail.example.com", 300, IPAddress.Parse("2001:db8::25")), records);
        Assert.Contains(new DnsRecord("www.example.com", DnsType.Cname, 3600, "mail.example.com"), records);
        Assert.Contains(new DnsRecord("partner.example.net", DnsType.Txt, 3600, "v=spf1 ip4:198.51.100.0/24 -all"), records);
        Assert.Contains(new DnsRecord("esc.example.com", DnsType.Txt, 3600, "quote\" semi; ABCunquoted word"), records);
        Assert.Contains(new DnsRecord("25.2.0.192.in-addr.arpa", DnsType.Ptr, 3600, "mail.example.com"), records);
        Assert.Contains(new DnsRecord("deep.sub.example.com", DnsType.Txt, 172800, "in sub"), records);
    }

    [Fact]
    public async Task LoadsWhatOpendkimGenkeyWritesWithTheOriginGiven()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dkim-{Guid.NewGuid():N}.txt");
        const string key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx4nQmL1xqFjKQ1l3Yd9h0BCm1vXx";
        await File.WriteAllTextAsync(path,
            $"default._domainkey\tIN\tTXT\t( \"v=DKIM1; h=sha256; k=rsa; \"\n\t  \"p={key[..40]}\"\n\t  \"{key[40..]}\" )  ; ----- DKIM key default for example.com\n",
            Ct);
        try
        {
            var records = await ZoneFile.LoadAsync($"example.com={path}", Ct);

            var record = Assert.Single(records);
            Assert.Equal("default._domainkey.example.com", record.Name);
            Assert.Equal($"v=DKIM1; h=sha256; k=rsa; p={key}", record.Text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task IncludeReadsAnotherFileWithItsOwnOrigin()
    {
        var folder = Directory.CreateTempSubdirectory("zone").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "main.zone"), "$ORIGIN example.org.\n$INCLUDE part.zone partner.example.\n@ A 192.0.2.1\n", Ct);
            await File.WriteAllTextAsync(Path.Combine(folder, "part.zone"), "@ TXT \"v=spf1 -all\"\n", Ct);

            var records = await ZoneFile.LoadAsync(Path.Combine(folder, "main.zone"), Ct);

            Assert.Equal(["partner.example", "example.org"], records.Select(r => r.Name));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("example.com. TXT \"unterminated\n", "unterminated quoted string")]
    [InlineData("example.com. TXT ( \"open\"\n", "'(' never closed")]
    [InlineData("example.com. A 300.1.2.3\n", ":1: bad A address")]
    [InlineData("\n\nexample.com. MX mail.example.com.\n", ":3: MX needs a preference")]
    [InlineData("  A 192.0.2.1\n", "without an owner")]
    [InlineData("@ A 192.0.2.1\n", "'@' without an origin")]
    [InlineData("x.example. TXT \"\\999\"\n", "not an octet")]
    public void BadInputGivesAClearErrorWithTheLine(string text, string expected)
    {
        var error = Assert.Throws<ZoneFileException>(() => ZoneFile.Parse(text));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void ATxtStringOver255OctetsIsRefused()
    {
        var error = Assert.Throws<ZoneFileException>(() => ZoneFile.Parse($"x.example. TXT \"{new string('a', 256)}\"\n"));

        Assert.Contains("255", error.Message);
    }
}
