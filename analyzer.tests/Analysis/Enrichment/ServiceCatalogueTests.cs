using DmarcAnalyzer.Analysis.Enrichment;

namespace DmarcAnalyzer.Tests.Analysis.Enrichment;

public sealed class ServiceCatalogueTests
{
    [Fact]
    public void BuiltInCatalogueParsesWithoutDuplicatesAndNamesASourceForEveryLine()
    {
        var lines = ServiceCatalogue.BuiltInLines()
            .Select((text, i) => ServiceCatalogue.ParseLine(text, $"services.tsv:{i + 1}"))
            .OfType<ServiceCatalogue.Line>()
            .ToList();

        Assert.True(lines.Count >= 250, $"{lines.Count} lines");
        Assert.Empty(lines.GroupBy(l => (l.Kind, l.Key)).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.All(lines, l => Assert.False(string.IsNullOrWhiteSpace(l.Service.Source)));
        Assert.Equal(lines.Count, ServiceCatalogue.BuiltIn.Count);
    }

    [Fact]
    public void EveryBuiltInLineNamesThePageThatConfirmsIt()
    {
        var lines = ServiceCatalogue.BuiltInLines()
            .Select((text, i) => ServiceCatalogue.ParseLine(text, $"services.tsv:{i + 1}"))
            .OfType<ServiceCatalogue.Line>()
            .ToList();

        Assert.All(lines, l => Assert.True(l.Service.Source.StartsWith("https://", StringComparison.Ordinal), $"{l.Kind} {l.Key}: {l.Service.Source}"));
        var keys = lines.Select(l => (l.Kind, l.Key)).ToHashSet();
        // The biggest senders are among them.
        Assert.All(
            [(ServiceKey.Ptr, "google.com"), (ServiceKey.Ptr, "protection.outlook.com"), (ServiceKey.Ptr, "amazonses.com"),
             (ServiceKey.Ptr, "sendgrid.net"), (ServiceKey.Ptr, "mcsv.net"), (ServiceKey.Dkim, "amazonses.com"), (ServiceKey.Dkim, "onmicrosoft.com"),
             (ServiceKey.Dkim, "gappssmtp.com")],
            key => Assert.Contains(key, keys));
    }

    [Theory]
    [InlineData("mail-sor-f41.google.com", "Google (Gmail, Google Workspace)", "mailbox")]
    [InlineData("mail-am6eur05on2100.outbound.protection.outlook.com", "Microsoft 365 (Exchange Online)", "mailbox")]
    [InlineData("a8-30.smtp-out.amazonses.com", "Amazon SES", "transactional")]
    [InlineData("o1.ptr1234.sendgrid.net", "SendGrid (Twilio)", "transactional")]
    [InlineData("mail180-5.suw21.mcsv.net", "Mailchimp", "marketing")]
    [InlineData("mta-1-2.sparkpostmail.com", "SparkPost (Bird)", "transactional")]
    [InlineData("eu-smtp-inbound-1.mimecast.com", "Mimecast", "gateway")]
    [InlineData("MAIL.ZENDESK.COM.", "Zendesk", "helpdesk")]
    public void BigSendersAreRecognisedByTheirPtrNames(string ptr, string service, string type)
    {
        var match = ServiceCatalogue.BuiltIn.Match(ptr, null);

        Assert.NotNull(match);
        Assert.Equal(service, match.Name);
        Assert.Equal(type, match.Type.Word());
    }

    [Fact]
    public void TheNameWinsOverTheDkimDomainAndTheDkimDomainOverTheNetwork()
    {
        var catalogue = ServiceCatalogue.BuiltIn;

        Assert.Equal("Amazon SES", catalogue.Match("a1.smtp-out.amazonses.com", 16509, ["mcsv.net"])?.Name);
        Assert.Equal("Mailchimp", catalogue.Match(null, 16509, ["mcsv.net"])?.Name);
        Assert.Equal(ServiceType.Hosting, catalogue.Match(null, 16509)?.Type);
        Assert.Null(catalogue.Match("host.example.net", 64500, ["example.org"]));
        Assert.Null(catalogue.Match("com", null));
    }

    [Fact]
    public void TheFirstListedSigningDomainWinsAndUnlistedOnesArePassedOver()
    {
        var catalogue = ServiceCatalogue.BuiltIn;

        Assert.Equal("Mailchimp", catalogue.Match(null, null, ["customer.example", "mcsv.net", "sendgrid.net"])?.Name);
        Assert.Equal("SendGrid (Twilio)", catalogue.Match(null, null, ["sendgrid.net", "mcsv.net"])?.Name);
        Assert.Null(catalogue.Match(null, null, ["customer.example", "other.example"]));
    }

    [Fact]
    public void TheLongestListedDomainWins()
    {
        // outlook.com is Outlook.com; protection.outlook.com under it is Microsoft 365.
        Assert.Equal("Microsoft (Outlook.com)", ServiceCatalogue.BuiltIn.Match("smtp.outlook.com", null)?.Name);
        Assert.Equal("Microsoft 365 (Exchange Online)", ServiceCatalogue.BuiltIn.Match("x.outbound.protection.outlook.com", null)?.Name);
    }

    [Theory]
    [InlineData("ptr\texample.com\tExample", "3 tab-separated fields")]
    [InlineData("mx\texample.com\tExample\tmarketing\tdocs", "kind 'mx'")]
    [InlineData("ptr\texample.com\tExample\tspam\tdocs", "type 'spam'")]
    [InlineData("ptr\tcom\tExample\tmarketing\tdocs", "'com' is not a domain")]
    [InlineData("ptr\tex ample.com\tExample\tmarketing\tdocs", "is not a domain")]
    [InlineData("asn\tAS-one\tExample\thosting\tdocs", "'AS-one' is not an AS number")]
    [InlineData("asn\t0\tExample\thosting\tdocs", "'0' is not an AS number")]
    [InlineData("ptr\texample.com\t\tmarketing\tdocs", "service name is empty")]
    [InlineData("ptr\texample.com\tExample\tmarketing\t", "source is empty")]
    public void ABadLineIsAnErrorThatSaysWhereAndWhy(string line, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ServiceCatalogue.ParseLine(line, "mine.tsv:7"));

        Assert.StartsWith("mine.tsv:7: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AsNumbersAreReadWithOrWithoutTheAsPrefix()
    {
        Assert.Equal("64500", ServiceCatalogue.ParseLine("asn\tAS64500\tExample\thosting\tdocs", "x")?.Key);
        Assert.Equal("64500", ServiceCatalogue.ParseLine("asn\t64500\tExample\thosting\tdocs", "x")?.Key);
        Assert.Null(ServiceCatalogue.ParseLine("# a comment", "x"));
        Assert.Null(ServiceCatalogue.ParseLine("   ", "x"));
    }

    [Fact]
    public void AUsersFileAddsLinesAndReplacesBuiltInOnes()
    {
        using var folder = new TempFolder();
        var path = folder.File("services.tsv");
        File.WriteAllLines(path,
        [
            "# our own",
            "ptr\tmailer.example.net\tExample Mailer\tmarketing\tour contract",
            "ptr\tmcsv.net\tMailchimp (marketing team)\tmarketing\tour contract",
        ]);

        var catalogue = ServiceCatalogue.Load(path);

        Assert.Equal("Example Mailer", catalogue.Match("out1.mailer.example.net", null)?.Name);
        Assert.Equal("Mailchimp (marketing team)", catalogue.Match("mail1.mcsv.net", null)?.Name);
        Assert.Equal(ServiceCatalogue.BuiltIn.Count + 1, catalogue.Count);
    }

    [Fact]
    public void AUsersFileWithALineTwiceOrMissingIsRefused()
    {
        using var folder = new TempFolder();
        var path = folder.File("services.tsv");
        File.WriteAllLines(path, ["ptr\ta.example\tA\tcrm\tdocs", "ptr\tA.example.\tB\tcrm\tdocs"]);

        var twice = Assert.Throws<FormatException>(() => ServiceCatalogue.Load(path));
        var missing = Assert.Throws<FormatException>(() => ServiceCatalogue.Load(folder.File("none.tsv")));

        Assert.Contains(":2: ptr a.example is listed twice", twice.Message);
        Assert.Contains("not found", missing.Message);
    }
}
